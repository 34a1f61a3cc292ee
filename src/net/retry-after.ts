/**
 * Parses a `Retry-After` header value (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 * Returns the wait in milliseconds from `now`, capped at `capMillis` (a past date gives 0), or null
 * when the value is absent or unreadable. Pure and never throws: the value comes from a remote server.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date | number,
  capMillis: number,
): number | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return null;
  const cap = Math.max(0, capMillis);
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, cap);
  // HTTP-date in any of its three historic formats; all of them carry a weekday name and HH:MM:SS.
  if (!/[A-Za-z]/.test(text) || !/\d{1,2}:\d{2}:\d{2}/.test(text)) return null;
  // asctime dates carry no zone but are GMT by definition; Date.parse would read them as local time.
  const at = Date.parse(/(GMT|UTC|Z|[+-]\d{4})$/i.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return null;
  const nowMillis = typeof now === "number" ? now : now.getTime();
  return Math.min(Math.max(0, at - nowMillis), cap);
}
