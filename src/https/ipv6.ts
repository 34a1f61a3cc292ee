import type { LookupAddress } from "node:dns";
import { isIPv6 } from "node:net";
import type { LookupFunction, Resolver } from "../net/index.js";
import { handshake } from "./tls-handshake.js";

/** Whether a server can be reached over IPv6. Null parts are unknown (e.g. the DNS server failed). */
export interface Ipv6Probe {
  /** The domain has at least one AAAA record. */
  hasAaaa: boolean | null;
  /** A TLS handshake over IPv6 completed on the HTTPS port (false when there is no AAAA record). */
  reachable: boolean | null;
  /** Why not, in a few words, when not. */
  detail: string | null;
}

/** What {@link probeIpv6} needs from net/. */
export interface Ipv6ProbeDeps {
  /**
   * net/'s resolver (`--dns-server` honoured). Its A+AAAA answer is read for AAAA records; note it
   * waits only briefly for AAAA once A has answered, so a very slow AAAA answer reads as none.
   */
  resolver: Pick<Resolver, "resolve">;
  /** net/'s guarded lookup: private addresses are refused at connect time. */
  lookup: LookupFunction;
  /** Default 443. */
  port?: number;
  /** Default 10,000 ms. */
  timeoutMillis?: number;
  signal?: AbortSignal;
}

/**
 * Asks for AAAA records, then opens one TLS connection over IPv6 only (through the guarded lookup,
 * restricted to IPv6 answers) and closes it. Never throws.
 */
export async function probeIpv6(domain: string, deps: Ipv6ProbeDeps): Promise<Ipv6Probe> {
  const answer = await deps.resolver.resolve(domain);
  if (!answer.ok) {
    if (answer.outcome === "dns_not_found")
      return { hasAaaa: false, reachable: false, detail: answer.detail };
    return { hasAaaa: null, reachable: null, detail: answer.detail };
  }
  if (!answer.addresses.some((a) => isIPv6(a))) {
    return { hasAaaa: false, reachable: false, detail: "no AAAA record" };
  }
  const result = await handshake({
    domain,
    port: deps.port ?? 443,
    lookup: ipv6Only(deps.lookup),
    family: 6,
    timeoutMillis: deps.timeoutMillis ?? 10_000,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (result.ok) return { hasAaaa: true, reachable: true, detail: null };
  return { hasAaaa: true, reachable: false, detail: `${result.stage}: ${result.code}` };
}

/**
 * Wraps a lookup so it only ever yields IPv6 addresses, whatever the inner lookup prefers; the
 * inner (guarded) lookup still vets every address it returns.
 */
export function ipv6Only(lookup: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    const cb = callback as (
      err: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void;
    lookup(hostname, { ...options, family: 6, all: true }, (err, result) => {
      if (err) {
        cb(err, "", 6);
        return;
      }
      const list: LookupAddress[] = Array.isArray(result)
        ? result
        : [{ address: String(result), family: isIPv6(String(result)) ? 6 : 4 }];
      const v6 = list.filter((a) => isIPv6(a.address));
      if (v6.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`no IPv6 address for ${hostname}`);
        e.code = "ENODATA";
        cb(e, "", 6);
        return;
      }
      if (options.all)
        cb(
          null,
          v6.map((a) => ({ address: a.address, family: 6 })),
        );
      else cb(null, v6[0]?.address ?? "", 6);
    });
  };
}
