import { describe, expect, it } from "vitest";
import { reconnectDelayMillis } from "./backoff.js";
import { BoundedQueue } from "./bounded-queue.js";
import { endForStatus, retryAfterFromHeader } from "./connection.js";
import { decodeSseEvent, decodeWebSocketFrame } from "./decode.js";
import { Semaphore, TokenBucket } from "./semaphore.js";
import { acceptStreamingUrl } from "./streaming-host.js";
import { compareIds, readTimelinePage, timelineUrl } from "./transport-poll.js";

describe("reconnectDelayMillis", () => {
  const o = { baseMillis: 1000, maxMillis: 300_000 };
  it("grows exponentially with jitter between half and all of the ceiling, capped", () => {
    expect(reconnectDelayMillis(0, "closed", o, null, () => 0)).toBe(500);
    expect(reconnectDelayMillis(0, "closed", o, null, () => 1)).toBe(1000);
    expect(reconnectDelayMillis(3, "timeout", o, null, () => 1)).toBe(8000);
    expect(reconnectDelayMillis(30, "refused", o, null, () => 1)).toBe(300_000);
    expect(reconnectDelayMillis(1000, "refused", o, null, () => 0.5)).toBe(225_000);
  });
  it("honours a longer Retry-After", () => {
    expect(reconnectDelayMillis(0, "rate_limited", o, 60_000, () => 1)).toBe(60_000);
  });
  it("never reconnects after an opt-out, a robots.txt disallow or a refused address", () => {
    for (const r of [
      "opted_out",
      "robots_disallow",
      "private_address",
      "denylisted",
      "invalid_domain",
    ] as const) {
      expect(reconnectDelayMillis(0, r, o)).toBeNull();
    }
  });
});

describe("BoundedQueue", () => {
  it("pauses at half, resumes at an eighth, drops beyond the cap, and iterates in order", async () => {
    const events: string[] = [];
    const q = new BoundedQueue<number>({
      maxBytes: 80,
      onPause: () => events.push("pause"),
      onResume: () => events.push("resume"),
    });
    for (let i = 0; i < 10; i++) q.push(i, 10);
    expect(events).toEqual(["pause"]);
    expect(q.dropped).toBe(2);
    expect(q.peakBytes).toBe(80);
    q.end();
    const got: number[] = [];
    for await (const v of q) got.push(v);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(events).toEqual(["pause", "resume"]);
  });
  it("wakes a waiting consumer", async () => {
    const q = new BoundedQueue<string>({ maxBytes: 100 });
    const it = q[Symbol.asyncIterator]();
    const next = it.next();
    q.push("a", 1);
    expect(await next).toEqual({ value: "a", done: false });
    q.end();
    expect((await it.next()).done).toBe(true);
  });
});

describe("decode", () => {
  const status = { uri: "https://a.example/s/1", account: {} };
  it("reads Mastodon frames with the payload as a string or an object", () => {
    expect(
      decodeWebSocketFrame(
        JSON.stringify({ stream: ["public"], event: "update", payload: JSON.stringify(status) }),
      ),
    ).toEqual({
      kind: "status",
      json: status,
    });
    expect(decodeWebSocketFrame(JSON.stringify({ event: "update", payload: status }))).toEqual({
      kind: "status",
      json: status,
    });
    expect(decodeWebSocketFrame('{"event":"delete","payload":"1"}')).toEqual({ kind: "delete" });
    expect(decodeWebSocketFrame('{"event":"status.update","payload":"{}"}')).toEqual({
      kind: "ignored",
      event: "status.update",
    });
    expect(decodeWebSocketFrame('{"error":"Missing access token","status":401}')).toEqual({
      kind: "error",
      status: 401,
    });
    expect(decodeSseEvent("update", JSON.stringify(status))).toEqual({ kind: "status", json: status });
  });
  it.each([
    "not json",
    "[1]",
    "null",
    '{"event":"update","payload":"{bad"}',
    '{"event":"update","payload":7}',
    '{"event":"update","payload":"5"}',
    '{"x":1}',
  ])("marks %s malformed", (frame) => {
    expect(decodeWebSocketFrame(frame).kind).toBe("malformed");
  });
});

describe("Semaphore and TokenBucket", () => {
  it("caps holders and serves waiters in order; an aborted waiter leaves the line", async () => {
    const s = new Semaphore(1);
    const c = new AbortController();
    expect(await s.acquire(c.signal)).toBe(true);
    const order: string[] = [];
    const gone = new AbortController();
    const w1 = s.acquire(gone.signal).then((ok) => order.push(`w1:${ok}`));
    const w2 = s.acquire(c.signal).then((ok) => order.push(`w2:${ok}`));
    gone.abort();
    await w1;
    s.release();
    await w2;
    expect(order).toEqual(["w1:false", "w2:true"]);
    expect(s.inUse).toBe(1);
  });
  it("allows a burst, then spaces tokens at the rate", () => {
    let now = 0;
    const b = new TokenBucket(100, 2, () => now);
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(10);
    now = 10; // the third waited its 10 ms and went on; the fourth waits for its own token
    expect(b.take()).toBe(10);
    now = 25;
    expect(b.take()).toBe(5);
  });
  it("charges every use, so late timers never let more than the rate through", () => {
    let now = 0;
    const b = new TokenBucket(2_000, 2_000, () => now);
    let used = 0;
    while (now < 10_000) {
      const wait = b.take();
      used++;
      // A timer that fires late (1 ms at least, often more on a busy machine).
      if (wait > 0) now += Math.max(1, wait) + (used % 3);
    }
    expect(used).toBeLessThanOrEqual(2_000 + 2_000 * (now / 1000) + 1);
    expect(used).toBeGreaterThan(2_000 * (now / 1000) * 0.5);
  });
});

describe("connection helpers", () => {
  it.each([
    [410, "opted_out", false],
    [418, "opted_out", false],
    [451, "opted_out", false],
    [401, "auth_required", true],
    [422, "auth_required", true],
    [404, "http_error", true],
    [302, "redirect_error", true],
    [429, "rate_limited", false],
    [503, "http_error", false],
  ])("HTTP %i → %s (next transport: %s)", (status, reason, unsupported) => {
    expect(endForStatus(status)).toMatchObject({ reason, unsupported, httpStatus: status });
  });
  it("reads Retry-After in seconds or as a date, capped at an hour", () => {
    expect(retryAfterFromHeader("120")).toBe(120_000);
    expect(retryAfterFromHeader("999999")).toBe(3_600_000);
    expect(
      retryAfterFromHeader(new Date(Date.UTC(2026, 0, 1, 0, 1)).toUTCString(), Date.UTC(2026, 0, 1)),
    ).toBe(60_000);
    expect(retryAfterFromHeader("soon")).toBeNull();
    expect(retryAfterFromHeader(undefined)).toBeNull();
  });
});

describe("polling helpers", () => {
  it("orders Mastodon and Pleroma ids", () => {
    expect(compareIds("99", "100")).toBeLessThan(0);
    expect(compareIds("AbC", "AbD")).toBeLessThan(0);
    expect(compareIds("5", "5")).toBe(0);
  });
  it("asks for since_id and min_id together, and the local timeline when told", () => {
    expect(timelineUrl("a.example", "public", null, 40)).toBe(
      "https://a.example/api/v1/timelines/public?limit=40",
    );
    expect(timelineUrl("a.example", "public:local", "123", 40)).toBe(
      "https://a.example/api/v1/timelines/public?limit=40&local=true&since_id=123&min_id=123",
    );
  });
  const ok = (status: number, body: string) => ({
    ok: true as const,
    status,
    url: "https://a.example/",
    headers: {},
    body: Buffer.from(body),
    redirects: [],
    remoteAddress: null,
    elapsedMillis: 1,
  });
  it("reads a page, keeping only usable ids", () => {
    const page = readTimelinePage(ok(200, '[{"id":"2","uri":"u"},{"id":"bad id!"},{"id":"1"}]'), 40);
    expect(page.ok && page.statuses.map((s) => s.id)).toEqual(["2", null, "1"]);
  });
  it("maps refusals and garbage to ends", () => {
    expect(readTimelinePage(ok(422, "{}"), 40)).toMatchObject({
      ok: false,
      end: { reason: "auth_required", unsupported: true },
    });
    expect(readTimelinePage(ok(200, "{"), 40)).toMatchObject({ ok: false, end: { reason: "malformed" } });
    expect(readTimelinePage(ok(200, "{}"), 40)).toMatchObject({ ok: false, end: { reason: "malformed" } });
    expect(
      readTimelinePage(
        {
          ok: false,
          outcome: "robots_disallow",
          detail: "no",
          url: "",
          status: null,
          retryAfterMillis: null,
          elapsedMillis: 0,
        },
        40,
      ),
    ).toMatchObject({ ok: false, end: { reason: "robots_disallow", unsupported: true } });
  });
});

describe("acceptStreamingUrl", () => {
  it.each([
    ["wss://streaming.a.example", "streaming.a.example"],
    ["wss://a.example", "a.example"],
    ["https://a.example/", "a.example"],
    ["wss://evil.example", "a.example"],
    ["wss://a.example.evil.example", "a.example"],
    ["ws://streaming.a.example", "a.example"],
    ["wss://streaming.a.example:4000", "a.example"],
    ["wss://127.0.0.1", "a.example"],
    ["not a url", "a.example"],
  ])("%s → %s", (url, host) => expect(acceptStreamingUrl("a.example", url)).toBe(host));
});
