import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseParser, type SseEvent } from "./sse-parser.js";

function parseAll(chunks: string[], max = 1 << 20): { events: SseEvent[]; error: string | null } {
  const p = new SseParser({ maxBufferChars: max });
  const events: SseEvent[] = [];
  for (const c of chunks) {
    const r = p.feed(c);
    events.push(...r.events);
    if (r.error) return { events, error: r.error };
  }
  return { events, error: null };
}

describe("SseParser (eventsource-parser, bounded)", () => {
  it("reads Mastodon's stream: comments, event names, data, CRLF", () => {
    const body =
      ':)\nevent: update\ndata: {"a":1}\n\n:thump\r\nevent: delete\r\ndata: 123\r\n\r\ndata: x\ndata: y\n\nevent: empty\n\n';
    expect(parseAll([body]).events).toEqual([
      { event: "update", data: '{"a":1}' },
      { event: "delete", data: "123" },
      { event: "message", data: "x\ny" },
    ]);
  });

  it("gives the same events however the stream is cut", () => {
    const event = fc.record({
      event: fc.constantFrom("update", "delete", "status.update"),
      data: fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, " ")),
    });
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        (events, cuts, eol) => {
          const body = events
            .map((e) => `event: ${e.event}${eol}data: ${e.data}${eol}${eol}`)
            .join(`:hb${eol}`)
            // A lone CR that ends what has arrived may be the first half of a CRLF: the parser
            // waits for the next character before it acts on it (a live stream sends one soon).
            .concat(":end\n");
          const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(body.slice(last, p));
            last = p;
          }
          chunks.push(body.slice(last));
          expect(parseAll(chunks).events).toEqual(
            // The parser drops the one space after "data:" (the one written above), no more.
            events.map((e) => ({ event: e.event, data: e.data })),
          );
        },
      ),
    );
  });

  it("stops a line that never ends at its bound, holding no more than the bound and one chunk", () => {
    const p = new SseParser({ maxBufferChars: 1000 });
    let error: string | null = null;
    let fed = 0;
    for (let i = 0; i < 10_000 && !error; i++, fed += 100) error = p.feed("x".repeat(100)).error;
    expect(error).toBe("too_large");
    expect(fed).toBeLessThanOrEqual(1100);
    expect(p.peakBufferedChars).toBeGreaterThan(1000);
    expect(p.peakBufferedChars).toBeLessThanOrEqual(1000 + 100);
    // Once cut off, it stays cut off (the connection is closed).
    expect(p.feed("\n\ndata: x\n\n")).toEqual({ events: [], error: "too_large" });
  });

  it("stops an event that never ends (endless data lines) at its bound", () => {
    const p = new SseParser({ maxBufferChars: 5000 });
    let error: string | null = null;
    let lines = 0;
    for (; lines < 10_000 && !error; lines++) error = p.feed("data: " + "y".repeat(90) + "\n").error;
    expect(error).toBe("too_large");
    // Cut off as soon as the data held (90 characters and a newline a line) passed the bound.
    expect(lines).toBeLessThanOrEqual(Math.ceil(5000 / 91) + 1);
    expect(p.peakBufferedChars).toBeLessThanOrEqual(5000 + 97);
  });

  it("never cuts off a stream of events each within the bound, however long the stream", () => {
    const p = new SseParser({ maxBufferChars: 1000 });
    const event = `event: update\ndata: ${"z".repeat(900)}\n\n:thump\n`;
    let n = 0;
    for (let i = 0; i < 2_000; i++) {
      const r = p.feed(event);
      expect(r.error).toBeNull();
      n += r.events.length;
    }
    expect(n).toBe(2_000);
    expect(p.peakBufferedChars).toBeLessThanOrEqual(2 * event.length);
  });

  it("keeps event names short", () => {
    expect(parseAll([`event: ${"e".repeat(500)}\ndata: 1\n\n`]).events[0]!.event).toHaveLength(64);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 50 }), { maxLength: 10 }), (chunks) => {
        parseAll(chunks, 64);
      }),
    );
  });
});
