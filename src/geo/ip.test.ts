import net from "node:net";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { formatIpv4, inRange, parseCidr, parseIp, parseIpv4, parseIpv6 } from "./ip.js";

function words(text: string): number[] {
  const out = new Uint32Array(4);
  return parseIpv6(text, out) ? [...out] : [];
}

describe("IP parsing", () => {
  it("parses IPv4 and refuses what is not dotted-quad", () => {
    expect(parseIpv4("1.2.3.4")).toBe(0x01020304);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIpv4("0.0.0.0")).toBe(0);
    for (const bad of [
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1..2.3",
      "a.b.c.d",
      "",
      "1.2.3.4 ",
      "::1",
    ]) {
      expect(parseIpv4(bad), bad).toBe(-1);
    }
  });

  it("parses IPv6 forms: compressed, full, embedded IPv4, zone", () => {
    expect(words("::")).toEqual([0, 0, 0, 0]);
    expect(words("::1")).toEqual([0, 0, 0, 1]);
    expect(words("2001:db8::1")).toEqual([0x20010db8, 0, 0, 1]);
    expect(words("2001:0db8:0000:0000:0000:0000:0000:0001")).toEqual([0x20010db8, 0, 0, 1]);
    expect(words("1::")).toEqual([0x00010000, 0, 0, 0]);
    expect(words("::ffff:1.2.3.4")).toEqual([0, 0, 0xffff, 0x01020304]);
    expect(words("fe80::1%eth0")).toEqual([0xfe800000, 0, 0, 1]);
    for (const bad of [
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      ":1",
      "1:",
      "12345::",
      "g::",
      "1:2:3:4:5:6:7:8::",
      "1.2.3.4",
    ]) {
      expect(words(bad), bad).toEqual([]);
    }
    expect(parseIp("::ffff:10.0.0.1")).toEqual({ version: 4, value: 0x0a000001 });
    expect(parseIp("nonsense")).toBeNull();
  });

  it("agrees with ipaddr.js on random addresses in every textual form", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const addr = new ipaddr.IPv6(groups);
        const expected = [0, 1, 2, 3].map(
          (k) => (((groups[k * 2] ?? 0) << 16) | (groups[k * 2 + 1] ?? 0)) >>> 0,
        );
        expect(words(addr.toString())).toEqual(expected);
        expect(words(addr.toNormalizedString())).toEqual(expected);
        expect(words(groups.map((g) => g.toString(16).padStart(4, "0")).join(":"))).toEqual(expected);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(parseIpv4(formatIpv4(n))).toBe(n);
      }),
    );
  });

  it("never throws and accepts only what Node calls an address", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (s) => {
        const parsed = parseIp(s);
        if (parsed) expect(net.isIP(s.split("%")[0] ?? "")).not.toBe(0);
      }),
    );
  });

  it("checks ranges", () => {
    expect(inRange(parseIp("104.16.1.1")!, parseCidr("104.16.0.0/13"))).toBe(true);
    expect(inRange(parseIp("104.24.0.0")!, parseCidr("104.16.0.0/13"))).toBe(false);
    expect(inRange(parseIp("2606:4700::1111")!, parseCidr("2606:4700::/32"))).toBe(true);
    expect(inRange(parseIp("2606:4701::")!, parseCidr("2606:4700::/32"))).toBe(false);
    expect(inRange(parseIp("1.1.1.1")!, parseCidr("2606:4700::/32"))).toBe(false);
    expect(inRange(parseIp("0.0.0.0")!, parseCidr("0.0.0.0/0"))).toBe(true);
    expect(() => parseCidr("1.2.3.4/33")).toThrow();
  });
});
