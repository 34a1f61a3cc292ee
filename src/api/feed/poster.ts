import { isIP } from "node:net";
import { Agent, fetch, type Response } from "undici";
import type { Config } from "../../config/index.js";
import { createAddressGuard, createGuardedLookup, createResolver, userAgent } from "../../net/index.js";

/**
 * Posting a status to the operator's own Mastodon account (`POST /api/v1/statuses`). The network
 * layer's fetcher (`net/`) is GET/HEAD-only by design, since fedimon never writes to the servers
 * it monitors; this one authenticated write to the operator's configured server is the single
 * exception, kept here, behind an interface so tests use a loopback fake. It still goes through
 * net/'s resolver and address guard: `--dns-server`, `--allow-networks` and `--only-networks`
 * apply to it as to every other request, so a bot URL naming a private address is refused.
 */

/** The status to post (Mastodon's form fields). */
export interface StatusBody {
  status: string;
  visibility: "public" | "unlisted";
  language: string;
}

/** What posting needs. */
export interface PostRequest {
  /** The bot account's server, e.g. `https://bots.example`. */
  serverUrl: string;
  accessToken: string;
  /** Sent as `Idempotency-Key`: Mastodon drops a repeat with the same key for an hour. */
  idempotencyKey: string;
  status: StatusBody;
}

/** Posts a status; resolves with the created status's id and URL, throws a readable error otherwise. */
export interface StatusPoster {
  post(req: PostRequest): Promise<{ id: string | null; url: string | null }>;
}

/** The longest answer read from the server. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The statuses endpoint of a server URL (only http and https; no credentials or query in the URL). */
export function statusesUrl(serverUrl: string): URL {
  const u = new URL(serverUrl);
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new Error("the Mastodon server URL must be http(s)");
  if (u.username || u.password || u.search || u.hash)
    throw new Error("the Mastodon server URL must be a plain base URL");
  return new URL(`${u.pathname.replace(/\/+$/, "")}/api/v1/statuses`, u);
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    if (bytes > max) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The real poster: one HTTPS request with the token as a Bearer header, a timeout, no redirects
 * (a redirect would carry the token elsewhere), and a capped answer. Errors never contain the token.
 * Connections are made only to addresses `config`'s network rules allow (checked at connect time).
 */
export function createHttpStatusPoster(opts: {
  config: Pick<Config, "allowNetworks" | "onlyNetworks" | "dnsServer" | "contact">;
  timeoutMillis?: number;
}): StatusPoster {
  const timeout = opts.timeoutMillis ?? 15_000;
  const guard = createAddressGuard(opts.config);
  const resolver = createResolver(opts.config.dnsServer ? { dnsServer: opts.config.dnsServer } : {});
  const dispatcher = new Agent({
    connect: { lookup: createGuardedLookup(opts.config, resolver, guard), timeout },
    // One post a week: nothing to keep alive.
    pipelining: 0,
  });
  return {
    async post(req) {
      const url = statusesUrl(req.serverUrl);
      // Node skips `lookup` for IP literals: check those here.
      const literal = url.hostname.replace(/^\[|\]$/g, "");
      const verdict = isIP(literal) ? guard.check(literal) : { allowed: true as const };
      if (!verdict.allowed) throw new Error(`posting to ${url.origin} refused: ${verdict.reason}`);
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          redirect: "error",
          dispatcher,
          signal: AbortSignal.timeout(timeout),
          headers: {
            authorization: `Bearer ${req.accessToken}`,
            "content-type": "application/json",
            accept: "application/json",
            "idempotency-key": req.idempotencyKey,
            "user-agent": userAgent(opts.config),
          },
          body: JSON.stringify(req.status),
        });
      } catch (err) {
        const cause = (err as Error & { cause?: Error }).cause;
        const detail = cause?.message
          ? `${(err as Error).message}: ${cause.message}`
          : (err as Error).message;
        throw new Error(`posting to ${url.origin} failed: ${detail}`);
      }
      const text = await readCapped(res, MAX_ANSWER_BYTES);
      if (res.status < 200 || res.status >= 300) {
        throw new Error(
          `posting to ${url.origin} failed: HTTP ${res.status} ${text.slice(0, 200).replace(/\s+/g, " ")}`,
        );
      }
      try {
        const json = JSON.parse(text) as { id?: unknown; url?: unknown };
        return {
          id: typeof json.id === "string" ? json.id : null,
          url: typeof json.url === "string" ? json.url : null,
        };
      } catch {
        return { id: null, url: null };
      }
    },
  };
}
