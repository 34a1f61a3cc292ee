/**
 * What one message from a streaming server means, decoded without trusting it. Mastodon's
 * WebSocket frames are `{"stream":["public"],"event":"update","payload":"<status JSON as a string>"}`
 * (some servers send the payload as an object); its SSE events are `event: update` with the status
 * JSON as data. Never throws.
 */
export type StreamMessage =
  | { kind: "status"; json: unknown }
  | { kind: "delete" }
  /** Edits, notifications, filters, announcements: not counted. */
  | { kind: "ignored"; event: string }
  /** The server refused the subscription (`{"error": ..., "status": 401}`). */
  | { kind: "error"; status: number | null }
  | { kind: "malformed"; reason: string };

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function payloadToStatus(payload: unknown): StreamMessage {
  if (typeof payload === "string") {
    const p = parseJson(payload);
    if (!p.ok) return { kind: "malformed", reason: "payload is not JSON" };
    return typeof p.value === "object" && p.value !== null
      ? { kind: "status", json: p.value }
      : { kind: "malformed", reason: "payload is not an object" };
  }
  if (typeof payload === "object" && payload !== null) return { kind: "status", json: payload };
  return { kind: "malformed", reason: "payload missing" };
}

function byEvent(event: string, payload: unknown): StreamMessage {
  switch (event) {
    case "update":
      return payloadToStatus(payload);
    case "delete":
      return { kind: "delete" };
    default:
      return { kind: "ignored", event: event.slice(0, 32) };
  }
}

/** Decodes one WebSocket text frame. */
export function decodeWebSocketFrame(text: string): StreamMessage {
  const p = parseJson(text);
  if (!p.ok) return { kind: "malformed", reason: "frame is not JSON" };
  const v = p.value;
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return { kind: "malformed", reason: "frame is not an object" };
  const o = v as Record<string, unknown>;
  if (typeof o.event === "string") return byEvent(o.event, o.payload);
  if ("error" in o) return { kind: "error", status: typeof o.status === "number" ? o.status : null };
  return { kind: "malformed", reason: "frame has no event" };
}

/** Decodes one Server-Sent Event. */
export function decodeSseEvent(event: string, data: string): StreamMessage {
  return byEvent(event, data);
}

const WS_PAYLOAD = '"payload":"';
const WS_UPDATE = '"event":"update"';
const WS_URI = '\\"uri\\":\\"';
const WS_URI_END = '\\"';
const JSON_URI = '"uri":"';

/**
 * The status URI of a Mastodon WebSocket `update` frame, read without parsing it, or null when it
 * cannot be read safely. Lets the pipeline drop a status it has already counted (most statuses, once
 * several servers are listened to) before paying for two `JSON.parse` calls. Safe by construction:
 * a JSON string cannot contain an unescaped `"`, so the needle only matches a key; it is taken only
 * when no `{` precedes it inside the payload (so it is the top-level status's `uri`, not an
 * account's or a boosted status's), and only when the URI has no escapes. The result is only ever
 * looked up, never remembered: the status is remembered from its fully parsed form.
 */
export function peekFrameUri(frame: string): string | null {
  const p = frame.indexOf(WS_PAYLOAD);
  if (p === -1) return null;
  const ev = frame.indexOf(WS_UPDATE);
  if (ev === -1 || ev > p) return null;
  const body = p + WS_PAYLOAD.length; // the payload's opening `{`
  if (frame.charCodeAt(body) !== 123) return null;
  const m = frame.indexOf(WS_URI, body);
  if (m === -1) return null;
  const nested = frame.indexOf("{", body + 1);
  if (nested !== -1 && nested < m) return null;
  const start = m + WS_URI.length;
  const end = frame.indexOf(WS_URI_END, start);
  if (end === -1 || end - start > 2048) return null;
  const uri = frame.slice(start, end);
  return uri.includes("\\") ? null : uri;
}

/** The same for a status as raw JSON (an SSE `update` event's data). */
export function peekStatusUri(json: string): string | null {
  if (json.charCodeAt(0) !== 123) return null;
  const m = json.indexOf(JSON_URI);
  if (m === -1) return null;
  const nested = json.indexOf("{", 1);
  if (nested !== -1 && nested < m) return null;
  const start = m + JSON_URI.length;
  const end = json.indexOf('"', start);
  if (end === -1 || end - start > 2048) return null;
  const uri = json.slice(start, end);
  return uri.includes("\\") ? null : uri;
}
