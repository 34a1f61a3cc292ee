import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseParser, type SseEvent } from "./sse-parser.js";

function parseAll(chunks: string[], max = 1 << 20): { events: SseEvent[]; error: string | null } {
  const p = new SseParser({ maxLineChars: max });
  const events: SseEvent[] = [];
  for (const c of chunks) {
    const r = p.feed(c);
    events.push(...r.events);
    if (r.error) return { events, error: r.error };
  }
  return { events, error: null };
}

describe("SseParser", () => {
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
            .join(`:hb${eol}`);
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

  it("stops a line that never ends at its bound, holding no more than the bound", () => {
    const p = new SseParser({ maxLineChars: 1000 });
    let error: string | null = null;
    for (let i = 0; i < 10_000 && !error; i++) error = p.feed("x".repeat(100)).error;
    expect(error).toBe("line_too_long");
    expect(p.peakBufferedChars).toBeLessThanOrEqual(1000);
  });

  it("stops an event that never ends (endless data lines) at its bound", () => {
    const p = new SseParser({ maxLineChars: 1000, maxEventChars: 5000 });
    let error: string | null = null;
    for (let i = 0; i < 10_000 && !error; i++) error = p.feed("data: " + "y".repeat(90) + "\n").error;
    expect(error).toBe("event_too_large");
    expect(p.peakBufferedChars).toBeLessThanOrEqual(5000 + 1000);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 50 }), { maxLength: 10 }), (chunks) => {
        parseAll(chunks, 64);
      }),
    );
  });
});
