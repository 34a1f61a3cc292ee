import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HSTS_MIN_MAX_AGE_SECS, parseHsts, readSecurityHeaders } from "./headers.js";

describe("parseHsts", () => {
  it("reads the directives, case-insensitively, quoted or not", () => {
    expect(parseHsts("max-age=63072000; includeSubDomains; preload")).toEqual({
      present: true,
      maxAgeSecs: 63072000,
      includeSubDomains: true,
      preload: true,
      raw: "max-age=63072000; includeSubDomains; preload",
    });
    expect(parseHsts('MAX-AGE="31536000";INCLUDESUBDOMAINS')).toMatchObject({
      present: true,
      maxAgeSecs: 31536000,
      includeSubDomains: true,
      preload: false,
    });
    expect(parseHsts("max-age=300")).toMatchObject({
      present: true,
      maxAgeSecs: 300,
      includeSubDomains: false,
    });
    expect(HSTS_MIN_MAX_AGE_SECS).toBe(15_552_000);
  });

  it("treats max-age=0, a missing or bad max-age, and repeated directives as no HSTS", () => {
    expect(parseHsts("max-age=0; includeSubDomains")).toMatchObject({ present: false, maxAgeSecs: 0 });
    expect(parseHsts("includeSubDomains")).toMatchObject({ present: false, maxAgeSecs: null });
    expect(parseHsts("max-age=abc")).toMatchObject({ present: false });
    expect(parseHsts("max-age=-5")).toMatchObject({ present: false });
    expect(parseHsts("max-age=10; max-age=20")).toMatchObject({ present: false });
    expect(parseHsts("")).toMatchObject({ present: false, raw: null });
    expect(parseHsts(null)).toMatchObject({ present: false, raw: null });
  });

  it("uses only the first of several joined headers", () => {
    expect(parseHsts("max-age=100, max-age=63072000; includeSubDomains")).toMatchObject({
      maxAgeSecs: 100,
      includeSubDomains: false,
    });
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const h = parseHsts(s);
        expect(typeof h.present).toBe("boolean");
        expect(h.raw === null || h.raw.length <= 256).toBe(true);
      }),
    );
  });
});

describe("readSecurityHeaders", () => {
  it("recognises a Mastodon-like set", () => {
    expect(
      readSecurityHeaders({
        "content-security-policy":
          "base-uri 'none'; default-src 'none'; frame-ancestors 'none'; script-src 'self'",
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "permissions-policy": "interest-cohort=()",
      }),
    ).toEqual({
      contentSecurityPolicy: true,
      frameAncestors: true,
      xFrameOptions: true,
      xContentTypeOptions: true,
      referrerPolicy: true,
      permissionsPolicy: true,
    });
  });

  it("rejects weak or meaningless values", () => {
    expect(
      readSecurityHeaders({
        "content-security-policy": "default-src 'self'",
        "x-frame-options": "ALLOWALL",
        "x-content-type-options": "sniff",
        "referrer-policy": "no-referrer, unsafe-url",
        "feature-policy": "camera 'none'",
      }),
    ).toEqual({
      contentSecurityPolicy: true,
      frameAncestors: false,
      xFrameOptions: false,
      xContentTypeOptions: false,
      referrerPolicy: false,
      permissionsPolicy: true,
    });
    expect(Object.values(readSecurityHeaders({})).every((v) => v === false)).toBe(true);
    expect(
      readSecurityHeaders({ "content-security-policy": "default-src 'none'; not-frame-ancestors x" })
        .frameAncestors,
    ).toBe(false);
  });
});
