import type { z } from "zod";

/**
 * Upper bounds past which a reported number is treated as a misreport, not a fact. Chosen an order
 * of magnitude or more above anything real (the largest server has ~3 million users and ~200
 * million posts; the whole fediverse has a few hundred thousand domains).
 */
export const SANITY_LIMITS = Object.freeze({
  /** Users (total, monthly, half-year active) on one server. */
  users: 1e9,
  /** Local posts on one server. */
  posts: 1e11,
  /** Domains a server knows (`domain_count`). */
  domains: 1e8,
  /** Weekly statuses, logins or registrations in `/api/v1/instance/activity`. */
  weekly: 1e9,
});

/** Longest free-text value kept (titles, node names); longer ones are cut with a warning. */
export const MAX_TEXT_LENGTH = 500;
/** Most language codes kept from one document. */
export const MAX_LANGUAGES = 200;

/** Whether a value is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A property of a value when it is an object, else undefined (for reading nested JSON safely). */
export function prop(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** The first schema issue as a short readable reason (`software.name: expected string`). */
export function zodReason(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid document";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Reads fields of a remote document under the misreport rules (docs/software.md): unknown stays
 * null, nonsense is dropped and recorded in `rejected` as `field: reason`, tolerated oddities
 * (numbers sent as strings) are kept and noted in `warnings`.
 */
export class FieldReader {
  readonly rejected: string[] = [];
  readonly warnings: string[] = [];

  /**
   * A non-negative integer count up to `max`. `null`/absent is unknown (not rejected). A string of
   * decimal digits is accepted with a warning (Mastodon's activity API and Pixelfed send those);
   * negative, fractional, non-finite, absurd (> max) and wrongly typed values are rejected.
   */
  count(value: unknown, field: string, max: number): number | null {
    if (value === undefined || value === null) return null;
    let n: number;
    if (typeof value === "number") n = value;
    else if (typeof value === "string" && /^\s*\d{1,16}\s*$/.test(value)) {
      n = Number(value);
      this.warnings.push(`${field}: number sent as a string`);
    } else {
      this.rejected.push(`${field}: not a number (${describe(value)})`);
      return null;
    }
    if (!Number.isFinite(n)) this.rejected.push(`${field}: not finite`);
    else if (n < 0) this.rejected.push(`${field}: negative`);
    else if (!Number.isInteger(n)) this.rejected.push(`${field}: not an integer`);
    else if (n > max) this.rejected.push(`${field}: absurd (over ${max.toExponential()})`);
    else return n;
    return null;
  }

  /** A boolean; `"true"`/`"false"` strings accepted with a warning; anything else rejected. */
  bool(value: unknown, field: string): boolean | null {
    if (value === undefined || value === null) return null;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") {
      this.warnings.push(`${field}: boolean sent as a string`);
      return value === "true";
    }
    this.rejected.push(`${field}: not a boolean (${describe(value)})`);
    return null;
  }

  /** Trimmed text, null when absent or empty, cut to `maxLength` with a warning. */
  text(value: unknown, field: string, maxLength = MAX_TEXT_LENGTH): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== "string") {
      this.rejected.push(`${field}: not a string (${describe(value)})`);
      return null;
    }
    const t = value.trim();
    if (t === "") return null;
    if (t.length > maxLength) {
      this.warnings.push(`${field}: cut to ${maxLength} characters`);
      return t.slice(0, maxLength);
    }
    return t;
  }

  /**
   * A list of short strings (language codes, protocols): trimmed, deduplicated, non-strings and
   * over-long entries dropped with a warning, at most `maxItems`. Null when absent or not a list.
   */
  stringList(value: unknown, field: string, maxItems = MAX_LANGUAGES, maxLength = 64): string[] | null {
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value)) {
      this.rejected.push(`${field}: not a list (${describe(value)})`);
      return null;
    }
    const out = new Set<string>();
    let dropped = 0;
    for (const item of value) {
      const t = typeof item === "string" ? item.trim() : "";
      if (t === "" || t.length > maxLength) dropped++;
      else if (out.size < maxItems) out.add(t);
      else dropped++;
    }
    if (dropped > 0) this.warnings.push(`${field}: ${dropped} unusable or excess entries dropped`);
    return [...out];
  }
}
