/**
 * Public-timeline statistics that keep no content (docs/stream.md): listeners over
 * WebSocket, SSE and polling; feature extraction; cross-server dedupe; counters flushed to the store.
 */
export { runListeners } from "./run.js";
export { StreamService, type StreamServiceDeps, type StreamSummary } from "./service.js";
export { StreamOptionsSchema, streamOptions, type StreamOptions } from "./options.js";
export {
  StatusPipeline,
  type PipelineCounters,
  type PipelineOptions,
  type StatusResult,
} from "./pipeline.js";
export { ServerListener, type ListenerDeps, type ListenerState } from "./server-listener.js";
export {
  extractFeatures,
  classifyStatus,
  accountOptedOut,
  originOf,
  normalizeLanguage,
  MEDIA_TYPES,
  VISIBILITIES,
  type StatusFeatures,
  type MediaType,
  type Visibility,
} from "./features.js";
export { parseStatus, type ParsedStatus } from "./status-schema.js";
export { normalizeHashtag, hashtagsInText, collectHashtags } from "./hashtags.js";
export { htmlToText, codePointLength } from "./html-text.js";
export { UriDedupe, type DedupeOptions } from "./dedupe.js";
export {
  Aggregator,
  LENGTH_BUCKET_UPPER_BOUNDS,
  NETWORK_ORIGIN,
  OTHER_ORIGIN,
  type AggregatorOptions,
  type AggregateBatch,
} from "./aggregator.js";
export {
  rankTrends,
  trendScore,
  expectedUsesPerHour,
  TREND_DEFAULTS,
  type Trend,
  type TrendOptions,
} from "./trending.js";
export { reconnectDelayMillis, type EndReason } from "./backoff.js";
export { TRANSPORTS, type Transport } from "./connection.js";
