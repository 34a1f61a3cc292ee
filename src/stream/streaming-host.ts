import { isIP } from "node:net";
import type { Fetcher } from "../net/index.js";

/**
 * Where a server's streaming API lives. Mastodon may serve it from another host
 * (`configuration.urls.streaming` in `/api/v2/instance`, `urls.streaming_api` in `/api/v1/instance`,
 * e.g. `wss://streaming.example.social`). The answer is taken only when it is the server's own
 * domain or a subdomain of it, on the default port, over TLS: a hostile instance document cannot
 * point the listeners at someone else. Otherwise, and on any failure, the domain itself.
 */
export async function discoverStreamingHost(
  fetcher: Fetcher,
  domain: string,
  signal?: AbortSignal,
): Promise<string> {
  for (const [path, pick] of [
    ["/api/v2/instance", (j: Record<string, unknown>) => dig(j, "configuration", "urls", "streaming")],
    ["/api/v1/instance", (j: Record<string, unknown>) => dig(j, "urls", "streaming_api")],
  ] as const) {
    if (signal?.aborted) break;
    const r = await fetcher.request({
      url: `https://${domain}${path}`,
      headers: { accept: "application/json" },
      maxBodyBytes: 1024 * 1024,
      signal,
    });
    if (!r.ok || r.status !== 200) continue;
    let json: unknown;
    try {
      json = JSON.parse(r.body.toString("utf8"));
    } catch {
      continue;
    }
    if (typeof json !== "object" || json === null) continue;
    const url = pick(json as Record<string, unknown>);
    return typeof url === "string" ? acceptStreamingUrl(domain, url) : domain;
  }
  return domain;
}

/** The host of an advertised streaming URL if it is acceptable for `domain`, else `domain`. */
export function acceptStreamingUrl(domain: string, url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return domain;
  }
  if (u.protocol !== "wss:" && u.protocol !== "https:") return domain;
  if (u.port !== "" || u.username !== "" || u.password !== "") return domain;
  const host = u.hostname.toLowerCase().replace(/\.$/, "");
  if (isIP(host) || host.startsWith("[")) return domain;
  return host === domain || host.endsWith(`.${domain}`) ? host : domain;
}

function dig(o: unknown, ...keys: string[]): unknown {
  let v = o;
  for (const k of keys) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}
