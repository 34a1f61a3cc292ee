import type tls from "node:tls";
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, nullLogger } from "../core/log.js";
import {
  REDIRECT_STATUSES,
  type Fetcher,
  type HttpResult,
  type LookupFunction,
  type TlsConnectionFacts,
} from "../net/index.js";
import { certificateFacts } from "./certificate.js";
import { parseHsts, readSecurityHeaders } from "./headers.js";
import { type HandshakeResult, type HandshakeSuccess, handshake } from "./tls-handshake.js";
import type { HttpRedirectKind, HttpsProbe, TlsVersionState } from "./types.js";

/** What {@link probeHttps} needs; the crawl pipeline passes net/'s implementations. */
export interface HttpsProbeDeps {
  /** net/'s fetcher: robots.txt honoured, one request at a time per host, SSRF guard, caps. */
  fetcher: Fetcher;
  /** net/'s guarded lookup (`createGuardedLookup`), used for the TLS handshakes. */
  lookup: LookupFunction;
  clock?: Clock;
  logger?: Logger;
  /** The TLS port probed. Default 443 (the fetches use their URLs' default ports). */
  port?: number;
  /** Per handshake. Default 10,000 ms. */
  handshakeTimeoutMillis?: number;
  signal?: AbortSignal;
}

/** Cap on the HTML page read for its headers. Default-sized home pages are tens of KB. */
const PAGE_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Probes one server's HTTPS, one connection at a time: one to four TLS handshakes (the default
 * one, unless the fetcher has just made it for the poll; TLS 1.2 alone when the default picked
 * 1.3; TLS 1.0–1.1 together, and 1.0 alone when that picked 1.1: each sends nothing and
 * closes), then through the fetcher `https://domain/` (HSTS from its first response, security
 * headers after same-site redirects; robots.txt is honoured, and when it disallows `/` HSTS is
 * read from `/robots.txt`) and `http://domain/` (does it redirect to HTTPS?). Two to four
 * connections a day for most servers, six at most.
 * Never throws for anything the server does.
 */
export async function probeHttps(domain: string, deps: HttpsProbeDeps): Promise<HttpsProbe> {
  const clock = deps.clock ?? systemClock;
  const log = (deps.logger ?? nullLogger).child("https");
  const port = deps.port ?? 443;
  const timeoutMillis = deps.handshakeTimeoutMillis ?? 10_000;
  const probedAt = clock.now();
  const shake = (minVersion?: tls.SecureVersion, maxVersion?: tls.SecureVersion): Promise<HandshakeResult> =>
    handshake({
      domain,
      port,
      lookup: deps.lookup,
      minVersion,
      maxVersion,
      timeoutMillis,
      signal: deps.signal,
    });

  const probe: HttpsProbe = {
    domain,
    probedAt,
    tlsReachable: false,
    tlsFailure: null,
    versions: { tls13: "untestable", tls12: "untestable", tls11: "untestable", tls10: "untestable" },
    negotiated: null,
    certificate: null,
    hstsUrl: null,
    hsts: null,
    headersUrl: null,
    headers: null,
    pageFailure: null,
    httpRedirect: "unknown",
    httpLocation: null,
  };

  // 1. The default handshake (TLS 1.2–1.3): a server that speaks 1.3 always picks it. The poll's
  // own connection to this server was exactly that, checked in full: when the fetcher still holds
  // what it negotiated (its keep-alive window), it stands for this handshake.
  const best = fromFetcher(deps.fetcher.recentTls(domain, port)) ?? (await shake());
  let certSource: HandshakeSuccess | null = null;
  if (best.ok) {
    certSource = best;
    probe.negotiated = best.protocol;
    if (best.protocol === "TLSv1.3") {
      probe.versions.tls13 = "offered";
      probe.versions.tls12 = versionState(await shake("TLSv1.2", "TLSv1.2"));
    } else {
      probe.versions.tls13 = "not_offered";
      probe.versions.tls12 = best.protocol === "TLSv1.2" ? "offered" : "not_offered";
    }
  } else if (best.stage === "lookup" || best.stage === "connect") {
    probe.tlsFailure = `${best.stage}: ${best.code}: ${best.message}`;
    log.debug("no TLS connection", { domain, code: best.code });
  } else {
    probe.versions.tls13 = versionState(best);
    probe.versions.tls12 = versionState(best);
  }

  if (best.ok || best.stage === "tls" || best.stage === "local") {
    // 2. Legacy versions. One handshake offering TLS 1.0–1.1 answers for both on most servers:
    // the server picks the highest version it shares, so a refusal means neither is offered and
    // TLS 1.0 picked means 1.1 is not. Only when it picks 1.1 is 1.0 tried alone. Node refuses
    // some versions locally: recorded as untestable.
    const legacy = await shake("TLSv1", "TLSv1.1");
    let v10: HandshakeResult | null = null;
    if (legacy.ok && legacy.protocol === "TLSv1.1") {
      probe.versions.tls11 = "offered";
      v10 = await shake("TLSv1", "TLSv1");
      probe.versions.tls10 = versionState(v10);
    } else if (legacy.ok) {
      probe.versions.tls11 = "not_offered";
      probe.versions.tls10 = legacy.protocol === "TLSv1" ? "offered" : "untestable";
    } else {
      probe.versions.tls11 = versionState(legacy);
      probe.versions.tls10 = versionState(legacy);
    }
    if (!certSource) certSource = [legacy, v10].find((r): r is HandshakeSuccess => r?.ok === true) ?? null;
    if (!certSource) probe.tlsFailure = best.ok ? null : `tls: ${best.code}: ${best.message}`;
  }

  if (certSource) {
    probe.tlsReachable = true;
    probe.negotiated ??= certSource.protocol;
    if (certSource.certificate) {
      probe.certificate = certificateFacts(
        certSource.certificate,
        certSource.verifyError,
        certSource.nameError,
        probedAt,
      );
    }
  }
  if (!probe.tlsReachable) return probe;

  // 3. The HTTPS page, through the fetcher (robots, politeness, caps, guard, certificate checks).
  await readPage(domain, deps, probe);
  // 4. Plain HTTP: does it send visitors to HTTPS?
  const plain = await deps.fetcher.request({
    url: `http://${domain}/`,
    followRedirects: false,
    maxBodyBytes: PAGE_MAX_BYTES,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const redirect = classifyPlainHttp(plain, domain);
  probe.httpRedirect = redirect.kind;
  probe.httpLocation = redirect.location;
  return probe;
}

/** A verified connection of the fetcher's, as the default handshake would have seen it. */
function fromFetcher(facts: TlsConnectionFacts | null): HandshakeSuccess | null {
  if (!facts) return null;
  return {
    ok: true,
    protocol: facts.protocol,
    remoteAddress: null,
    remoteFamily: null,
    verifyError: null,
    nameError: null,
    certificate: facts.certificate,
  };
}

function versionState(result: HandshakeResult): TlsVersionState {
  if (result.ok) return "offered";
  return result.stage === "tls" ? "not_offered" : "untestable";
}

async function readPage(domain: string, deps: HttpsProbeDeps, probe: HttpsProbe): Promise<void> {
  const signal = deps.signal ? { signal: deps.signal } : {};
  const first = await deps.fetcher.request({
    url: `https://${domain}/`,
    followRedirects: false,
    maxBodyBytes: PAGE_MAX_BYTES,
    headers: { accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5" },
    ...signal,
  });
  if (!first.ok) {
    probe.pageFailure = `${first.outcome}: ${first.detail}`;
    if (first.outcome === "robots_disallow") {
      // robots.txt itself is always fetchable, and HSTS is usually set site-wide.
      const robots = await deps.fetcher.request({
        url: `https://${domain}/robots.txt`,
        followRedirects: false,
        checkRobots: false,
        maxBodyBytes: 512 * 1024,
        ...signal,
      });
      if (robots.ok) {
        probe.hstsUrl = robots.url;
        probe.hsts = parseHsts(robots.headers["strict-transport-security"]);
      }
    }
    return;
  }
  probe.hstsUrl = first.url;
  probe.hsts = parseHsts(first.headers["strict-transport-security"]);
  const location = first.headers["location"];
  if (!REDIRECT_STATUSES.has(first.status) || !location) {
    probe.headersUrl = first.url;
    probe.headers = readSecurityHeaders(first.headers);
    return;
  }
  // Mastodon and others redirect `/` to `/about` or `/explore`: read the headers of the page.
  let target: URL;
  try {
    target = new URL(location, first.url);
  } catch {
    probe.pageFailure = `redirect_error: unreadable Location ${location.slice(0, 100)}`;
    return;
  }
  if (target.protocol !== "https:") {
    probe.pageFailure = `redirect_error: https:// redirects to ${target.protocol}`;
    return;
  }
  const page = await deps.fetcher.request({
    url: target.href,
    followRedirects: true,
    maxBodyBytes: PAGE_MAX_BYTES,
    ...signal,
  });
  if (!page.ok) {
    probe.pageFailure = `${page.outcome}: ${page.detail}`;
    return;
  }
  probe.headersUrl = page.url;
  probe.headers = readSecurityHeaders(page.headers);
}

/** What the answer to `http://domain/` means. Pure. */
export function classifyPlainHttp(
  result: HttpResult,
  domain: string,
): { kind: HttpRedirectKind; location: string | null } {
  if (!result.ok) {
    // Nothing listening on port 80 serves nothing unencrypted: fine.
    if (result.outcome === "refused" || result.outcome === "connect_timeout")
      return { kind: "no_http", location: null };
    return { kind: "unknown", location: null };
  }
  const location = result.headers["location"];
  if (!REDIRECT_STATUSES.has(result.status) || !location) return { kind: "none", location: null };
  try {
    const target = new URL(location, `http://${domain}/`);
    return { kind: target.protocol === "https:" ? "to_https" : "to_http", location: target.href };
  } catch {
    return { kind: "none", location: location.slice(0, 200) };
  }
}
