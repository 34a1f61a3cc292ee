/**
 * The network layer's public surface: the only code in fedimon that opens sockets (docs/net.md).
 * Wire one fetcher per process with `createFetcher({ config, logger })`; stream listeners that open
 * their own sockets use `createResolver` + `createGuardedLookup` and `classifyNetError`.
 */
export { createFetcher, type FetcherOptions, type FetcherWithStats } from "./fetcher.js";
export {
  createAddressGuard,
  specialAddressReason,
  InvalidNetworkError,
  type AddressGuard,
  type AddressGuardOptions,
  type GuardVerdict,
} from "./address-guard.js";
export { createResolver, type Resolver, type ResolverOptions, type ResolveResult } from "./resolver.js";
export { createGuardedLookup, type LookupFunction } from "./guarded-lookup.js";
export { checkNameOnLeafOnly, sharedClientContext, type ClientTlsSettings } from "./tls-context.js";
export { parseRetryAfter } from "./retry-after.js";
export { userAgent, ROBOTS_AGENT } from "./user-agent.js";
export {
  NetError,
  classifyNetError,
  type ClassifiedError,
  type FailureOutcome,
  type NetPhase,
} from "./errors.js";
export { parseRobotsTxt, MAX_CRAWL_DELAY_SECS, ROBOTS_MAX_BYTES, type RobotsRules } from "./robots.js";
export { DEFAULT_TUNING, MAX_REDIRECTS, type FetcherTuning } from "./tuning.js";
export { REDIRECT_STATUSES } from "./exchange.js";
export { REQUEST_KINDS } from "./types.js";
export type {
  Fetcher,
  HttpRequest,
  HttpResponse,
  HttpFailure,
  HttpResult,
  RequestKind,
  RequestTally,
  RobotsVerdict,
  TlsConnectionFacts,
} from "./types.js";
