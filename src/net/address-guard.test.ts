import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAddressGuard, InvalidNetworkError, specialAddressReason } from "./address-guard.js";

const REFUSED_BY_DEFAULT: [string, RegExp][] = [
  ["0.0.0.0", /this network/],
  ["0.1.2.3", /this network/],
  ["10.0.0.1", /private/],
  ["10.255.255.255", /private/],
  ["100.64.0.1", /carrier-grade NAT/],
  ["100.127.255.254", /carrier-grade NAT/],
  ["127.0.0.1", /loopback/],
  ["127.255.0.9", /loopback/],
  ["169.254.169.254", /link-local/],
  ["169.254.0.1", /link-local/],
  ["172.16.0.1", /private/],
  ["172.31.255.255", /private/],
  ["192.0.0.170", /IETF protocol/],
  ["192.0.2.1", /documentation/],
  ["192.88.99.1", /6to4 relay/],
  ["192.168.1.1", /private/],
  ["198.18.0.1", /benchmarking/],
  ["198.19.255.255", /benchmarking/],
  ["198.51.100.7", /documentation/],
  ["203.0.113.9", /documentation/],
  ["224.0.0.1", /multicast/],
  ["239.255.255.250", /multicast/],
  ["240.0.0.1", /reserved/],
  ["255.255.255.255", /broadcast/],
  ["::", /unspecified/],
  ["::1", /loopback/],
  ["fc00::1", /unique local/],
  ["fd12:3456::1", /unique local/],
  ["fe80::1", /link-local/],
  ["fec0::1", /site-local/],
  ["ff02::1", /multicast/],
  ["2001:db8::1", /documentation/],
  ["3fff::1", /documentation/],
  ["2001:2::1", /benchmarking/],
  ["2001:10::1", /ORCHID/],
  ["100::1", /discard/],
  ["::ffff:10.0.0.1", /private \(10/],
  ["::ffff:127.0.0.1", /loopback/],
  ["::ffff:169.254.169.254", /link-local/],
  ["::ffff:a00:1", /private \(10/],
  ["64:ff9b::a00:1", /NAT64 address embedding private/],
  ["64:ff9b::7f00:1", /NAT64 address embedding loopback/],
  ["64:ff9b:1::1", /local-use NAT64/],
  ["2002:a00:1::1", /6to4 address embedding private/],
  ["2002:c0a8:101::1", /6to4 address embedding private \(192\.168/],
  ["2001:0:4136:e378:8000:63bf:f5ff:fffe", /Teredo address embedding private/], // client 10.0.0.1
  ["::10.0.0.1", /reserved/], // deprecated IPv4-compatible
  ["::8.8.8.8", /reserved/],
  ["4000::1", /reserved/],
  ["abcd::1", /reserved/],
];

const ALLOWED_BY_DEFAULT = [
  "8.8.8.8",
  "1.1.1.1",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "169.253.255.255",
  "192.0.1.255",
  "192.167.255.255",
  "192.169.0.0",
  "198.17.255.255",
  "198.20.0.0",
  "223.255.255.255",
  "2001:4860:4860::8888",
  "2a00:1450:4001::1",
  "2606:4700::1111",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808", // NAT64 of 8.8.8.8
  "2002:808:808::1", // 6to4 of 8.8.8.8
  "2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo, client 8.8.8.8
];

const NOT_CANONICAL = [
  "",
  " ",
  "localhost",
  "example.org",
  "127.1",
  "0x7f.0.0.1",
  "0177.0.0.1",
  "2130706433",
  "010.0.0.1",
  "1.2.3.4 ",
  "1.2.3.4.5",
  "256.1.1.1",
  "[::1]",
  "fe80::1%eth0",
  "2001:4860::1%lo",
  "::ffff:999.0.0.1",
  "8.8.8.8/32",
];

describe("createAddressGuard with the default configuration", () => {
  const guard = createAddressGuard();

  it.each(REFUSED_BY_DEFAULT)("refuses %s", (ip, reason) => {
    const verdict = guard.check(ip);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toMatch(reason);
  });

  it.each(ALLOWED_BY_DEFAULT)("allows public %s", (ip) => {
    expect(guard.check(ip)).toEqual({ allowed: true });
  });

  it.each(NOT_CANONICAL)("refuses the non-canonical string %j", (text) => {
    const verdict = guard.check(text);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toMatch(/not a canonical IP address/);
  });

  it("judges IPv4-mapped IPv6 as its IPv4 address in the reason", () => {
    expect(guard.check("::ffff:10.0.0.1")).toEqual({
      allowed: false,
      reason: "10.0.0.1 is private (10.0.0.0/8)",
    });
  });
});

describe("--allow-networks", () => {
  const guard = createAddressGuard({ allowNetworks: ["127.0.0.0/8", "fd00::/8", "10.1.2.3"] });

  it("allows special addresses inside the listed ranges", () => {
    expect(guard.check("127.0.0.2").allowed).toBe(true);
    expect(guard.check("::ffff:127.0.0.9").allowed).toBe(true);
    expect(guard.check("fd00::5").allowed).toBe(true);
    expect(guard.check("10.1.2.3").allowed).toBe(true);
  });

  it("still refuses other special addresses and still allows public ones", () => {
    expect(guard.check("10.1.2.4").allowed).toBe(false);
    expect(guard.check("::1").allowed).toBe(false);
    expect(guard.check("fc00::1").allowed).toBe(false);
    expect(guard.check("169.254.169.254").allowed).toBe(false);
    expect(guard.check("8.8.8.8").allowed).toBe(true);
  });

  it("accepts IPv4-mapped IPv6 ranges as IPv4 ranges", () => {
    const g = createAddressGuard({ allowNetworks: ["::ffff:192.168.0.0/112"] });
    expect(g.check("192.168.4.4").allowed).toBe(true);
    expect(g.check("192.169.4.4").allowed).toBe(true); // public anyway
    expect(g.check("10.0.0.1").allowed).toBe(false);
  });
});

describe("--only-networks", () => {
  const guard = createAddressGuard({ onlyNetworks: ["127.0.0.0/8", "::1/128"] });

  it("allows loopback (even though special) and refuses everything else", () => {
    expect(guard.check("127.0.0.1").allowed).toBe(true);
    expect(guard.check("127.45.6.7").allowed).toBe(true);
    expect(guard.check("::1").allowed).toBe(true);
    expect(guard.check("::ffff:127.0.0.1").allowed).toBe(true);
    for (const ip of ["8.8.8.8", "10.0.0.1", "2001:4860:4860::8888", "::2", "128.0.0.1"]) {
      const verdict = guard.check(ip);
      expect(verdict.allowed).toBe(false);
      if (!verdict.allowed) expect(verdict.reason).toMatch(/outside --only-networks/);
    }
  });

  it("takes precedence over --allow-networks", () => {
    const g = createAddressGuard({ onlyNetworks: ["127.0.0.0/8"], allowNetworks: ["10.0.0.0/8"] });
    expect(g.check("10.0.0.1").allowed).toBe(false);
    expect(g.check("127.0.0.1").allowed).toBe(true);
  });
});

describe("invalid networks", () => {
  it.each(["", "10.0.0.0/33", "nonsense", "10.0.0/8", "::1/129", "127.1/8", "1.2.3.4/-1", "fe80::1%lo/64"])(
    "throws a configuration error at creation for %j",
    (bad) => {
      expect(() => createAddressGuard({ allowNetworks: [bad] })).toThrow(InvalidNetworkError);
      expect(() => createAddressGuard({ onlyNetworks: [bad] })).toThrow(/--only-networks/);
    },
  );
});

describe("specialAddressReason", () => {
  it("is null for public addresses and names the range otherwise", () => {
    expect(specialAddressReason("8.8.8.8")).toBeNull();
    expect(specialAddressReason("10.9.9.9")).toBe("private (10.0.0.0/8)");
    expect(specialAddressReason("nope")).toBe("not a canonical IP address");
  });
});

describe("properties", () => {
  const guard = createAddressGuard();
  const only = createAddressGuard({ onlyNetworks: ["127.0.0.0/8", "::1/128"] });

  it("never throws on any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        guard.check(s);
        only.check(s);
        specialAddressReason(s);
      }),
      { numRuns: 1000 },
    );
  });

  it("judges every IPv4 address and its IPv4-mapped IPv6 form the same way", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(guard.check(`::ffff:${ip}`).allowed).toBe(guard.check(ip).allowed);
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses every address in 10/8, 127/8, 169.254/16 and fc00::/7", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(octet, octet, octet, (a, b, c) => {
        expect(guard.check(`10.${a}.${b}.${c}`).allowed).toBe(false);
        expect(guard.check(`127.${a}.${b}.${c}`).allowed).toBe(false);
        expect(guard.check(`169.254.${b}.${c}`).allowed).toBe(false);
        expect(guard.check(`fc${a.toString(16).padStart(2, "0")}::${b.toString(16)}`).allowed).toBe(false);
      }),
    );
  });

  it("with --only-networks 127.0.0.0/8 allows exactly the 127/8 addresses", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(only.check(ip).allowed).toBe(ip.startsWith("127."));
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses every valid IPv6 address outside 2000::/3 except NAT64 of public IPv4", () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const first = ip.startsWith("::") ? 0 : parseInt(ip.split(":")[0] ?? "0", 16);
        const verdict = guard.check(ip);
        if ((first & 0xe000) !== 0x2000 && verdict.allowed) {
          expect(ip.toLowerCase()).toMatch(/^(::ffff:|64:ff9b::)/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
