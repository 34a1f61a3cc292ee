import type { LookupAddress, LookupOptions } from "node:dns";
import net from "node:net";
import type { Config } from "../config/config.js";
import { createAddressGuard, type AddressGuard } from "./address-guard.js";
import { NetError } from "./errors.js";
import type { Resolver } from "./resolver.js";

/** Node's `lookup` option for `net.connect`, `tls.connect`, `http(s).request` and `ws`. */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/**
 * Resolves `hostname` and keeps only the addresses the guard allows. Rejects with a {@link NetError}
 * (`dns_not_found`, `dns_error` or `private_address` when nothing is left). IP literals skip DNS but
 * not the guard. Shared by the fetcher's connector and {@link createGuardedLookup}.
 */
export async function resolveAllowed(
  hostname: string,
  resolver: Resolver,
  guard: AddressGuard,
): Promise<{ address: string; family: 4 | 6 }[]> {
  const result = await resolver.resolve(hostname);
  if (!result.ok) throw new NetError(result.outcome, result.detail);
  const allowed: { address: string; family: 4 | 6 }[] = [];
  let firstReason = "";
  for (const address of result.addresses) {
    const verdict = guard.check(address);
    if (verdict.allowed) allowed.push({ address, family: net.isIPv6(address) ? 6 : 4 });
    else firstReason ||= verdict.reason;
  }
  if (allowed.length === 0) {
    throw new NetError("private_address", `${hostname}: refused address: ${firstReason}`);
  }
  return allowed;
}

/**
 * A `lookup` function for code that opens its own sockets through Node (the stream listeners' `ws`
 * and SSE clients): it resolves through our resolver (c-ares, `--dns-server`, cache) and only ever
 * hands Node addresses the guard allows, so the connection goes to a checked address at connect
 * time. A refusal surfaces as the socket's error: a {@link NetError} whose `code` is
 * `EFEDIMON_PRIVATE_ADDRESS` (or `EFEDIMON_DNS_NOT_FOUND` / `EFEDIMON_DNS_ERROR`);
 * `classifyNetError` maps it back to its outcome class.
 *
 * Caveat: Node skips `lookup` for IP-literal hosts (`https://10.0.0.1/`). Check literals with
 * `createAddressGuard(config).check(host)` before connecting (the fetcher does this itself).
 */
export function createGuardedLookup(
  config: Pick<Config, "allowNetworks" | "onlyNetworks">,
  resolver: Resolver,
  guard: AddressGuard = createAddressGuard(config),
): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(hostname, resolver, guard).then(
      (found) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const list = wanted === 0 ? found : found.filter((a) => a.family === wanted);
        const first = list[0];
        if (!first) {
          callback(new NetError("private_address", `${hostname}: no allowed IPv${wanted} address`), "");
        } else if (options.all) {
          callback(null, list);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (err: NetError) => callback(err, ""),
    );
  };
}
