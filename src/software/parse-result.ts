/**
 * What every parser of remote data returns: a value with warnings about the parts it
 * had to drop, or a reasoned failure. Parsers never throw.
 */
export type ParseResult<T> = { ok: true; value: T; warnings: string[] } | { ok: false; reason: string };

/** A successful ParseResult. */
export function ok<T>(value: T, warnings: string[] = []): ParseResult<T> {
  return { ok: true, value, warnings };
}

/** A failed ParseResult with a short readable reason. */
export function fail<T = never>(reason: string): ParseResult<T> {
  return { ok: false, reason };
}
