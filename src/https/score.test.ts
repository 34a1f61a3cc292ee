import { describe, expect, it } from "vitest";
import { RUBRIC, scoreHttps } from "./score.js";
import type { HttpsProbe } from "./types.js";

const NOW = new Date("2026-03-01T00:00:00Z");

/** A server doing everything right (TLS 1.2 + 1.3, HSTS preload, every header, redirect). */
function perfect(extra: Partial<HttpsProbe> = {}): HttpsProbe {
  return {
    domain: "good.example",
    probedAt: NOW,
    tlsReachable: true,
    tlsFailure: null,
    versions: { tls13: "offered", tls12: "offered", tls11: "not_offered", tls10: "not_offered" },
    negotiated: "TLSv1.3",
    certificate: {
      subject: "CN=good.example",
      issuer: "CN=CA",
      validFrom: "2026-02-01T00:00:00.000Z",
      validTo: "2026-05-01T00:00:00.000Z",
      daysToExpiry: 61,
      expired: false,
      notYetValid: false,
      selfSigned: false,
      chainTrusted: true,
      nameMatches: true,
      verifyError: null,
    },
    hstsUrl: "https://good.example/",
    hsts: { present: true, maxAgeSecs: 63072000, includeSubDomains: true, preload: true, raw: "x" },
    headersUrl: "https://good.example/",
    headers: {
      contentSecurityPolicy: true,
      frameAncestors: true,
      xFrameOptions: true,
      xContentTypeOptions: true,
      referrerPolicy: true,
      permissionsPolicy: true,
    },
    pageFailure: null,
    httpRedirect: "to_https",
    httpLocation: "https://good.example/",
    ...extra,
  };
}

const codes = (p: HttpsProbe) => scoreHttps(p).deductions.map((d) => d.code);

describe("scoreHttps", () => {
  it("gives 100 and A+ to a server doing everything right", () => {
    expect(scoreHttps(perfect())).toEqual({ score: 100, grade: "A+", deductions: [] });
  });

  it("keeps the score equal to 100 minus the deductions", () => {
    const probes = [
      perfect({ hsts: null, headers: null, pageFailure: "robots_disallow: /" }),
      perfect({ versions: { tls13: "not_offered", tls12: "offered", tls11: "offered", tls10: "offered" } }),
      perfect({ certificate: { ...perfect().certificate!, expired: true, daysToExpiry: -3 } }),
      perfect({ certificate: { ...perfect().certificate!, daysToExpiry: 5 } }),
      perfect({ httpRedirect: "none", headers: { ...perfect().headers!, contentSecurityPolicy: false } }),
    ];
    for (const p of probes) {
      const s = scoreHttps(p);
      expect(s.score).toBe(Math.max(0, 100 - s.deductions.reduce((n, d) => n + d.points, 0)));
    }
  });

  it("grades a TLS 1.2-only server A (A+ needs TLS 1.3)", () => {
    const s = scoreHttps(
      perfect({
        versions: { tls13: "not_offered", tls12: "offered", tls11: "not_offered", tls10: "untestable" },
        negotiated: "TLSv1.2",
      }),
    );
    expect(s).toMatchObject({ score: 90, grade: "A" });
    expect(s.deductions).toEqual([
      { code: "tls13_missing", points: 10, reason: RUBRIC.tls13_missing.reason },
    ]);
  });

  it("caps legacy TLS at B and failing modern TLS at F", () => {
    const legacy = scoreHttps(
      perfect({ versions: { tls13: "offered", tls12: "offered", tls11: "offered", tls10: "offered" } }),
    );
    expect(legacy).toMatchObject({ score: 75, grade: "B" });
    expect(legacy.deductions.map((d) => d.code)).toEqual(["tls11_offered", "tls10_offered"]);
    const tls10 = scoreHttps(
      perfect({ versions: { tls13: "offered", tls12: "offered", tls11: "not_offered", tls10: "offered" } }),
    );
    expect(tls10).toMatchObject({ score: 84, grade: "B" });
    expect(tls10.deductions.map((d) => [d.code, d.points])).toEqual([
      ["tls10_offered", 15],
      ["grade_cap", 1],
    ]);
    const onlyOld = scoreHttps(
      perfect({
        versions: { tls13: "not_offered", tls12: "not_offered", tls11: "offered", tls10: "offered" },
      }),
    );
    expect(onlyOld.grade).toBe("F");
    expect(onlyOld.deductions.map((d) => d.code)).toContain("tls12_missing");
  });

  it("fails invalid certificates whatever else is right", () => {
    const cert = perfect().certificate!;
    const cases: [Partial<typeof cert>, string][] = [
      [{ expired: true, daysToExpiry: -10, verifyError: "CERT_HAS_EXPIRED" }, "cert_expired"],
      [{ notYetValid: true, verifyError: "CERT_NOT_YET_VALID" }, "cert_not_yet_valid"],
      [
        { selfSigned: true, chainTrusted: false, verifyError: "DEPTH_ZERO_SELF_SIGNED_CERT" },
        "cert_self_signed",
      ],
      [{ chainTrusted: false, verifyError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }, "cert_untrusted"],
      [{ nameMatches: false }, "cert_name_mismatch"],
    ];
    for (const [facts, code] of cases) {
      const s = scoreHttps(perfect({ certificate: { ...cert, ...facts } }));
      expect(s.grade, code).toBe("F");
      expect(s.score, code).toBeLessThan(25);
      expect(
        s.deductions.map((d) => d.code),
        code,
      ).toEqual([code, "grade_cap"]);
      expect(s.deductions[1]?.reason).toContain("capped at F");
    }
  });

  it("warns about certificates close to expiry", () => {
    const cert = perfect().certificate!;
    const in5 = scoreHttps(perfect({ certificate: { ...cert, daysToExpiry: 5 } }));
    expect(in5).toMatchObject({ grade: "C", score: 69 });
    expect(in5.deductions[0]).toEqual({
      code: "cert_expires_7d",
      points: 20,
      reason: `${RUBRIC.cert_expires_7d.reason} (5 days left)`,
    });
    const in12 = scoreHttps(perfect({ certificate: { ...cert, daysToExpiry: 12 } }));
    expect(in12).toMatchObject({ grade: "A", score: 90 });
    expect(codes(perfect({ certificate: { ...cert, daysToExpiry: 15 } }))).toEqual([]);
  });

  it("deducts for missing or weak HSTS", () => {
    expect(
      scoreHttps(
        perfect({
          hsts: { present: false, maxAgeSecs: null, includeSubDomains: false, preload: false, raw: null },
        }),
      ),
    ).toMatchObject({ score: 80, grade: "B" });
    const weak = scoreHttps(
      perfect({
        hsts: {
          present: true,
          maxAgeSecs: 86400,
          includeSubDomains: false,
          preload: false,
          raw: "max-age=86400",
        },
      }),
    );
    expect(weak.deductions.map((d) => d.code)).toEqual([
      "hsts_short",
      "hsts_no_subdomains",
      "hsts_no_preload",
    ]);
    expect(weak).toMatchObject({ score: 83, grade: "B" });
    // Long enough but no preload: still A+ (preload is a small bonus, not a requirement).
    const noPreload = scoreHttps(
      perfect({
        hsts: { present: true, maxAgeSecs: 31536000, includeSubDomains: true, preload: false, raw: "x" },
      }),
    );
    expect(noPreload).toMatchObject({ score: 98, grade: "A+" });
  });

  it("deducts for plain HTTP that does not redirect to HTTPS, not for a closed port 80", () => {
    expect(scoreHttps(perfect({ httpRedirect: "none" }))).toMatchObject({ score: 80, grade: "B" });
    expect(codes(perfect({ httpRedirect: "to_http", httpLocation: "http://elsewhere.example/" }))).toEqual([
      "http_redirect_insecure",
    ]);
    expect(scoreHttps(perfect({ httpRedirect: "no_http" }))).toMatchObject({ score: 100, grade: "A+" });
    expect(codes(perfect({ httpRedirect: "no_http" }))).toEqual(["http_closed"]);
  });

  it("deducts for each missing security header", () => {
    const none = {
      contentSecurityPolicy: false,
      frameAncestors: false,
      xFrameOptions: false,
      xContentTypeOptions: false,
      referrerPolicy: false,
      permissionsPolicy: false,
    };
    const s = scoreHttps(perfect({ headers: none }));
    expect(s.deductions.map((d) => d.code)).toEqual([
      "csp_missing",
      "frame_protection_missing",
      "xcto_missing",
      "referrer_policy_missing",
      "permissions_policy_missing",
    ]);
    expect(s).toMatchObject({ score: 83, grade: "B" });
    // X-Frame-Options alone is frame protection enough.
    expect(codes(perfect({ headers: { ...perfect().headers!, frameAncestors: false } }))).toEqual([]);
  });

  it("scores what it could not check as zero-point notes", () => {
    const s = scoreHttps(
      perfect({
        hsts: null,
        headers: null,
        pageFailure: "robots_disallow: / disallowed",
        httpRedirect: "unknown",
      }),
    );
    expect(s.deductions.map((d) => [d.code, d.points])).toEqual([
      ["hsts_unknown", 0],
      ["http_unknown", 0],
      ["headers_unknown", 0],
    ]);
    expect(s.deductions[0]?.reason).toContain("robots_disallow");
    // Unknown HSTS is not a strong HSTS: no A+.
    expect(s).toMatchObject({ score: 100, grade: "A" });
  });

  it("gives 0 and F when no TLS handshake succeeded", () => {
    expect(
      scoreHttps(
        perfect({ tlsReachable: false, tlsFailure: "connect: ECONNREFUSED: refused", certificate: null }),
      ),
    ).toEqual({
      score: 0,
      grade: "F",
      deductions: [
        { code: "no_tls", points: 100, reason: `${RUBRIC.no_tls.reason} (connect: ECONNREFUSED: refused)` },
      ],
    });
  });
});
