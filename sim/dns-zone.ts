import type { DnsAnswer } from "./dns-server.js";
import { addressRoleOf, PRIVATE_DNS_ANSWERS } from "./faults.js";
import type { SimAddresses } from "./listeners.js";
import type { Population, VirtualServer } from "./population.js";

const TTL_SECS = 300;

/**
 * The simulation's DNS zone: every virtual server, web domain, spam-farm name (a wildcard) and
 * extra host resolves to one of this simulation's loopback addresses, chosen by its fault; the
 * `dns_private` fault answers a private address (only ever used inside the loopback-only
 * namespace); everything else is NXDOMAIN. IPv6 (AAAA) answers are empty except for that fault.
 * `mainOf` gives a server that would be on the main address its own address (a geo block's);
 * its web domain resolves there too.
 */
export function simZone(
  pop: Population,
  addresses: () => SimAddresses,
  isExtraHost: (name: string) => boolean,
  mainOf: (s: VirtualServer, addr: SimAddresses) => string = (_s, addr) => addr.main,
): (name: string, type: "A" | "AAAA") => DnsAnswer {
  const farm = pop.farm;
  return (name, type) => {
    const addr = addresses();
    const s = pop.byDomain.get(name);
    if (s) {
      switch (s.fault) {
        case "nxdomain":
          return { kind: "nxdomain" };
        case "servfail":
          return { kind: "servfail" };
        case "dns_private": {
          const [a, aaaa] = PRIVATE_DNS_ANSWERS[s.faultVariant] ?? [[], []];
          const list = type === "A" ? a : aaaa;
          return list.length > 0
            ? { kind: "records", addresses: list, ttlSecs: TTL_SECS }
            : { kind: "nodata" };
        }
        default: {
          if (type === "AAAA") return { kind: "nodata" };
          const address = {
            main: mainOf(s, addr),
            plain_http: addr.plainHttp,
            broken_tls: addr.brokenTls,
            hang: addr.hang,
            dead: addr.dead,
          }[addressRoleOf(s.fault)];
          return { kind: "records", addresses: [address], ttlSecs: TTL_SECS };
        }
      }
    }
    const web = pop.byWebDomain.get(name);
    if (web) {
      return type === "A"
        ? { kind: "records", addresses: [mainOf(web, addr)], ttlSecs: TTL_SECS }
        : { kind: "nodata" };
    }
    const known =
      (farm !== null && (name === farm.registrableDomain || name.endsWith(`.${farm.registrableDomain}`))) ||
      isExtraHost(name);
    if (!known) return { kind: "nxdomain" };
    return type === "A" ? { kind: "records", addresses: [addr.main], ttlSecs: TTL_SECS } : { kind: "nodata" };
  };
}
