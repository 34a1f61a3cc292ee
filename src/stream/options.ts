import { z } from "zod";
import { TRANSPORTS } from "./connection.js";

/**
 * Settings of the stream listeners (`fedimon stream`, and the listeners inside `fedimon run`).
 * Validated once; each field says its default. The CLI maps `--stream-servers LIST` to `servers`
 * and `--stream-top N` to `topServers`.
 */
export const StreamOptionsSchema = z.object({
  /** `--stream-servers DOMAIN[,DOMAIN]`: listen to exactly these (still skipping opted-out and robots-disallowed ones). Default: select. */
  servers: z.array(z.string()).nullable().default(null),
  /** `--stream-top N`: how many of the largest servers (monthly active users) to listen to when `servers` is not given. Default 20. */
  topServers: z.number().int().min(0).max(10_000).default(20),
  /** Software families whose servers offer the Mastodon streaming or timeline API. */
  families: z.array(z.string()).default(["mastodon", "pleroma", "gotosocial"]),
  /** `--stream-local`: the local timeline (`public:local`) instead of the federated one. Default false. */
  local: z.boolean().default(false),
  /** Transports tried in this order. Default WebSocket, then SSE, then polling. */
  transports: z
    .array(z.enum(TRANSPORTS))
    .min(1)
    .default([...TRANSPORTS]),
  /** Global cap on open streaming connections. Default 64. */
  maxConnections: z.number().int().min(1).max(10_000).default(64),
  /** Largest WebSocket message, or SSE unfinished line plus event data, accepted. Default 256 KiB. */
  maxFrameBytes: z
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** Queued, unprocessed messages per connection. Default 1 MiB. */
  maxQueueBytes: z
    .number()
    .int()
    .min(4096)
    .default(1024 * 1024),
  /** Statuses processed per second per server at most (a flooding server is slowed, not others). Default 500. */
  maxStatusesPerSecPerServer: z.number().min(1).default(500),
  /** Connect and handshake timeout. Default 10 s. */
  connectTimeoutMillis: z.number().int().min(1).default(10_000),
  /** A stream silent for this long (no heartbeat) is reopened. Default 90 s (Mastodon sends a heartbeat every 15 s). */
  idleTimeoutMillis: z.number().int().min(1).default(90_000),
  /** A connection that lasted this long resets the reconnect backoff. Default 60 s. */
  healthyAfterMillis: z.number().int().min(0).default(60_000),
  /** First reconnect delay. Default 1 s. */
  backoffBaseMillis: z.number().int().min(1).default(1_000),
  /** Longest reconnect delay. Default 5 minutes. */
  backoffMaxMillis: z.number().int().min(1).default(300_000),
  /** Failed attempts in a row on one transport (of one host) before trying the next. Default 3. */
  failuresBeforeFallback: z.number().int().min(1).default(3),
  /** After this long on a transport it fell back to because the ones before it failed, the listener tries them again (polling is stopped for it). Default 30 minutes. */
  retryPreferredAfterMillis: z
    .number()
    .int()
    .min(1)
    .default(30 * 60_000),
  /** Pause between polls of a timeline. Default 30 s. */
  pollIntervalMillis: z.number().int().min(1).default(30_000),
  /** Cap on one polled page. Default 2 MiB. */
  pollMaxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  /** How often counters are written to the store. Default 10 s. */
  flushIntervalMillis: z.number().int().min(1).default(10_000),
  /** How often the server selection is refreshed. Default 1 hour. */
  reselectIntervalMillis: z.number().int().min(1).default(3_600_000),
  /** Dedupe window. Default 1 hour. */
  dedupeWindowMillis: z.number().int().min(1000).default(3_600_000),
  /** Dedupe memory bound, in URIs. Default 1,000,000 (about 13 MiB). */
  dedupeMaxEntries: z.number().int().min(16).default(1_000_000),
  /** A hashtag is stored only once this many distinct authors used it in an hour. Default 2. */
  minTagAuthors: z.number().int().min(1).default(2),
  /** TCP port of the servers (tests only; always 443 for real servers). */
  port: z.number().int().min(1).max(65_535).default(443),
});

/** Validated stream settings. */
export type StreamOptions = Readonly<z.infer<typeof StreamOptionsSchema>>;

/** Stream settings from partial input, defaults filled in (throws a ZodError on invalid input). */
export function streamOptions(input: Partial<z.input<typeof StreamOptionsSchema>> = {}): StreamOptions {
  return StreamOptionsSchema.parse(input);
}
