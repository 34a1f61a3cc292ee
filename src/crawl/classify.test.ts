import { describe, expect, it } from "vitest";
import { classifyStatus, classifyUnreadableBody, detectProxyChallenge, parseJsonBody } from "./classify.js";

const html = (s: string) =>
  Buffer.from(`<!DOCTYPE html><html><head><title>x</title></head><body>${s}</body></html>`);

describe("classifyStatus", () => {
  it("maps statuses to outcome classes", () => {
    const c = (status: number, step: Parameters<typeof classifyStatus>[0] = "discovery") =>
      classifyStatus(step, status).outcome;
    expect([200, 204, 299, 304].map((s) => c(s))).toEqual(["ok", "ok", "ok", "ok"]);
    expect(c(401)).toBe("auth_required");
    expect(c(403)).toBe("http_error");
    expect(c(404)).toBe("not_fediverse");
    expect(c(406)).toBe("not_fediverse");
    expect(c(404, "nodeinfo")).toBe("not_fediverse");
    expect(c(404, "instance")).toBe("http_error");
    expect(c(406, "peers")).toBe("http_error");
    for (const step of ["discovery", "nodeinfo", "instance", "activity", "peers", "host-meta"] as const) {
      expect([410, 418, 451].map((s) => c(s, step))).toEqual(["opted_out", "opted_out", "opted_out"]);
    }
    expect(c(429)).toBe("rate_limited");
    expect([500, 502, 503, 504, 599].map((s) => c(s))).toEqual(Array(5).fill("http_error"));
    expect(c(400)).toBe("http_error");
    expect(c(302)).toBe("redirect_error");
    expect(classifyStatus("instance", 503).detail).toBe("HTTP 503 on instance");
  });

  it("recognises CDN challenges behind 403 and 503", () => {
    expect(classifyStatus("discovery", 403, { "cf-mitigated": "challenge", server: "cloudflare" })).toEqual({
      outcome: "blocked_by_proxy",
      detail: "cloudflare challenge (HTTP 403)",
    });
    const cfPage = html('<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>');
    expect(classifyStatus("discovery", 503, { server: "cloudflare" }, cfPage).outcome).toBe(
      "blocked_by_proxy",
    );
    expect(classifyStatus("discovery", 403, { server: "ddos-guard" }).outcome).toBe("blocked_by_proxy");
    expect(classifyStatus("discovery", 403, { server: "AkamaiGHost" }, html("Access Denied")).outcome).toBe(
      "blocked_by_proxy",
    );
    // A plain 403 from the server itself, and a cloudflare-fronted 403 without a challenge.
    expect(classifyStatus("discovery", 403, { server: "nginx" }, html("Forbidden")).outcome).toBe(
      "http_error",
    );
    expect(classifyStatus("discovery", 403, { server: "cloudflare" }, html("Forbidden")).outcome).toBe(
      "http_error",
    );
    // A 401 stays auth_required whatever the headers.
    expect(classifyStatus("discovery", 401, { "cf-mitigated": "challenge" }).outcome).toBe("auth_required");
  });
});

describe("detectProxyChallenge", () => {
  it("names the provider from headers or the page", () => {
    expect(detectProxyChallenge({ "x-amzn-waf-action": "challenge" })).toBe("aws-waf");
    expect(detectProxyChallenge({ "x-sucuri-id": "1" })).toBe("sucuri");
    expect(detectProxyChallenge({ "x-datadome": "protected" })).toBe("datadome");
    expect(
      detectProxyChallenge({}, html("Making sure you&#39;re not a bot! within.website/x/cmd/anubis")),
    ).toBe("anubis");
    expect(detectProxyChallenge({}, html("Incapsula incident ID: 123"))).toBe("imperva");
    expect(detectProxyChallenge({}, Buffer.from('{"links":[]}'))).toBeNull();
    expect(detectProxyChallenge({ server: "Mastodon" })).toBeNull();
  });
});

describe("parseJsonBody", () => {
  it("reads JSON, with or without a BOM, and refuses the rest", () => {
    expect(parseJsonBody(Buffer.from('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody(Buffer.from("\ufeff[1,2]"))).toEqual({ ok: true, value: [1, 2] });
    expect(parseJsonBody(Buffer.from(""))).toEqual({ ok: false, detail: "empty body" });
    const bad = parseJsonBody(Buffer.from('{"a": tru'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.detail).toMatch(/^invalid JSON/);
      expect(bad.detail.length).toBeLessThan(140);
    }
  });

  it("tells challenge pages served with 200 from plain nonsense", () => {
    expect(classifyUnreadableBody({}, html("within.website/x/cmd/anubis"), "invalid JSON").outcome).toBe(
      "blocked_by_proxy",
    );
    expect(classifyUnreadableBody({}, html("hello"), "invalid JSON")).toEqual({
      outcome: "malformed",
      detail: "invalid JSON",
    });
  });
});
