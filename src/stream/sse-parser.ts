import { createParser, type EventSourceParser } from "eventsource-parser";

/** One Server-Sent Event: its `event` name (default `message`) and its data lines joined by `\n`. */
export interface SseEvent {
  event: string;
  data: string;
}

/** What feeding a chunk produced: events, and an error once the bound was crossed (then stop feeding). */
export interface SseFeedResult {
  events: SseEvent[];
  error: "too_large" | null;
}

/** Longest event name kept (Mastodon's are a few characters; the rest is cut off). */
const MAX_EVENT_NAME = 64;

/**
 * A bounded Server-Sent Events reader: `eventsource-parser` (the WHATWG `text/event-stream` rules:
 * `event:`, `data:`, `id:`, comments, CR / LF / CRLF line ends, a blank line dispatches) with its
 * `maxBufferSize` set, so a server that streams forever without a newline, or with endless `data:`
 * lines and no blank line, costs at most `maxBufferChars` (plus the chunk being read) before the
 * connection is ended as too large. Returns events per chunk rather than through callbacks, and
 * never throws.
 */
export class SseParser {
  readonly maxBufferChars: number;
  readonly #parser: EventSourceParser;
  #events: SseEvent[] = [];
  #overflow = false;
  /** Characters fed since the parser last dispatched an event: all it can be holding. */
  #sinceEvent = 0;
  /**
   * An upper bound of the most characters the parser held at once (its pending line and pending
   * event data were both fed since its last event, and never exceed the bound plus one chunk).
   */
  peakBufferedChars = 0;

  constructor(opts: { maxBufferChars: number }) {
    this.maxBufferChars = opts.maxBufferChars;
    this.#parser = createParser({
      maxBufferSize: opts.maxBufferChars,
      onEvent: (e) => {
        this.#events.push({ event: (e.event ?? "message").slice(0, MAX_EVENT_NAME), data: e.data });
      },
      onError: (err) => {
        // Unknown fields and bad `retry` values are ignored, as EventSource does.
        if (err.type === "max-buffer-size-exceeded") this.#overflow = true;
      },
    });
  }

  /** Feeds decoded text; returns the events completed by it. */
  feed(chunk: string): SseFeedResult {
    if (this.#overflow) return { events: [], error: "too_large" };
    const held = Math.min(this.#sinceEvent + chunk.length, this.maxBufferChars + chunk.length);
    if (held > this.peakBufferedChars) this.peakBufferedChars = held;
    this.#parser.feed(chunk);
    const events = this.#events;
    this.#events = [];
    // After an event, only what followed it in this chunk can still be held.
    this.#sinceEvent = events.length > 0 ? chunk.length : this.#sinceEvent + chunk.length;
    return { events, error: this.#overflow ? "too_large" : null };
  }
}
