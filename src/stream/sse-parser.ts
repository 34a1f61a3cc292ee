/** One Server-Sent Event: its `event` name (default `message`) and its data lines joined by `\n`. */
export interface SseEvent {
  event: string;
  data: string;
}

/** What feeding a chunk produced: events, and an error once a bound was crossed (then stop feeding). */
export interface SseFeedResult {
  events: SseEvent[];
  error: "line_too_long" | "event_too_large" | null;
}

/**
 * An incremental Server-Sent Events parser (the WHATWG `text/event-stream` rules: `event:`,
 * `data:`, comments, CR / LF / CRLF line ends, a blank line dispatches) with hard bounds, so a
 * server that streams forever without a newline, or with endless `data:` lines and no blank line,
 * costs at most `maxLineChars` + `maxEventChars` of memory. Pure (no I/O), never throws.
 */
export class SseParser {
  readonly maxLineChars: number;
  readonly maxEventChars: number;
  #line = "";
  #skipLf = false;
  #event = "";
  #data: string[] = [];
  #dataChars = 0;
  #failed: SseFeedResult["error"] = null;
  /** The most characters held at once (partial line + pending event data), for memory-bound checks. */
  peakBufferedChars = 0;

  constructor(opts: { maxLineChars: number; maxEventChars?: number }) {
    this.maxLineChars = opts.maxLineChars;
    this.maxEventChars = opts.maxEventChars ?? opts.maxLineChars;
  }

  /** Feeds decoded text; returns the events completed by it. */
  feed(chunk: string): SseFeedResult {
    const events: SseEvent[] = [];
    if (this.#failed) return { events, error: this.#failed };
    let start = 0;
    const n = chunk.length;
    let i = 0;
    if (this.#skipLf && n > 0) {
      this.#skipLf = false;
      if (chunk.charCodeAt(0) === 10) start = i = 1;
    }
    for (; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const piece = chunk.slice(start, i);
      if (this.#line.length + piece.length > this.maxLineChars) return this.#fail(events, "line_too_long");
      const line = this.#line.length ? this.#line + piece : piece;
      this.#line = "";
      const err = this.#processLine(line, events);
      if (err) return this.#fail(events, err);
      if (c === 13) {
        if (i + 1 < n) {
          if (chunk.charCodeAt(i + 1) === 10) i++;
        } else this.#skipLf = true;
      }
      start = i + 1;
    }
    if (start < n) {
      if (this.#line.length + (n - start) > this.maxLineChars) return this.#fail(events, "line_too_long");
      this.#line += chunk.slice(start);
    }
    const held = this.#line.length + this.#dataChars;
    if (held > this.peakBufferedChars) this.peakBufferedChars = held;
    return { events, error: null };
  }

  #fail(events: SseEvent[], error: NonNullable<SseFeedResult["error"]>): SseFeedResult {
    this.#failed = error;
    this.#line = "";
    this.#data = [];
    this.#dataChars = 0;
    return { events, error };
  }

  #processLine(line: string, events: SseEvent[]): SseFeedResult["error"] {
    if (line.length === 0) {
      if (this.#data.length > 0)
        events.push({ event: this.#event || "message", data: this.#data.join("\n") });
      this.#event = "";
      this.#data = [];
      this.#dataChars = 0;
      return null;
    }
    if (line.charCodeAt(0) === 58 /* : */) return null; // comment (Mastodon's `:thump` heartbeat)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") {
      this.#dataChars += value.length + 1;
      if (this.#dataChars > this.maxEventChars) return "event_too_large";
      this.#data.push(value);
      if (this.#dataChars > this.peakBufferedChars) this.peakBufferedChars = this.#dataChars;
    } else if (field === "event") {
      this.#event = value.slice(0, 64);
    }
    // `id` and `retry` are ignored: a reconnect starts from the live stream.
    return null;
  }
}
