import { readFileSync } from "node:fs";
import { z } from "zod";
import type { ParseResult } from "../software/parse-result.js";
import { fail, ok } from "../software/parse-result.js";

/**
 * Support status of release branches, per software: keys are a branch (`"4.2"`) or every branch
 * below one (`"<3.3"`); a value is the last supported day (`"2026-01-08"`, UTC, inclusive), `true`
 * (end of life) or `false` (supported whatever the release data says). See docs/releases.md.
 */
export type EolTable = Record<string, Record<string, string | boolean>>;

/**
 * Mastodon's end-of-life dates, from its SECURITY.md history as collected by endoflife.date
 * (`products/mastodon.md`). Branches not listed are judged from the release data. Other software
 * publishes no per-branch policy, so it has no entries: only its newest branch, and branches with a
 * release in the last `supportWindowDays`, count as supported.
 */
export const DEFAULT_EOL_TABLE: EolTable = {
  mastodon: {
    "<3.3": true,
    "3.3": "2022-05-26",
    "3.4": "2022-11-06",
    "3.5": "2023-12-31",
    "4.0": "2023-10-31",
    "4.1": "2025-04-08",
    "4.2": "2026-01-08",
  },
};

const KEY_RE = /^<?\d{1,9}\.\d{1,9}$/;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

const TableSchema = z.record(
  z.string().min(1),
  z.record(
    z.string().regex(KEY_RE, "a branch key is MAJOR.MINOR or <MAJOR.MINOR"),
    z.union([z.boolean(), z.string().regex(DAY_RE, "a date is YYYY-MM-DD")]),
  ),
);

/** Validates an EOL table read from JSON; software names are lower-cased. Never throws. */
export function parseEolTable(json: unknown): ParseResult<EolTable> {
  const r = TableSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return fail(`${issue?.path.join(".") || "table"}: ${issue?.message ?? "invalid"}`);
  }
  for (const entries of Object.values(r.data)) {
    for (const v of Object.values(entries)) {
      if (typeof v === "string" && Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
        return fail(`not a date: ${v}`);
    }
  }
  const out: EolTable = {};
  for (const [sw, entries] of Object.entries(r.data)) out[sw.toLowerCase()] = { ...entries };
  return ok(out);
}

/** `override` over `base`, entry by entry (an override never drops a base entry it does not name). */
export function mergeEolTables(base: EolTable, override: EolTable): EolTable {
  const out: EolTable = {};
  for (const [sw, entries] of Object.entries(base)) out[sw] = { ...entries };
  for (const [sw, entries] of Object.entries(override)) out[sw] = { ...(out[sw] ?? {}), ...entries };
  return out;
}

/**
 * The table for `--eol-table FILE`: the file (JSON) merged over {@link DEFAULT_EOL_TABLE}, or the
 * default when `file` is null. Throws a readable Error for a missing or invalid file (operator
 * configuration is checked once, at start).
 */
export function loadEolTable(file: string | null): EolTable {
  if (file === null) return DEFAULT_EOL_TABLE;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`--eol-table ${file}: ${(err as Error).message}`);
  }
  const r = parseEolTable(json);
  if (!r.ok) throw new Error(`--eol-table ${file}: ${r.reason}`);
  return mergeEolTables(DEFAULT_EOL_TABLE, r.value);
}

/** What the table says about one branch: null when it has no entry for it. */
export function eolEntry(
  table: EolTable,
  software: string,
  major: number,
  minor: number,
): { supportedUntil: Date | null; eol: boolean | null } | null {
  const entries = table[software];
  if (!entries) return null;
  const exact = entries[`${major}.${minor}`];
  if (exact !== undefined) return interpret(exact);
  // The highest `<X.Y` key that covers this branch.
  let best: { major: number; minor: number; value: string | boolean } | null = null;
  for (const [key, value] of Object.entries(entries)) {
    if (!key.startsWith("<")) continue;
    const [ma, mi] = key.slice(1).split(".").map(Number) as [number, number];
    const below = major < ma || (major === ma && minor < mi);
    if (below && (!best || ma > best.major || (ma === best.major && mi > best.minor))) {
      best = { major: ma, minor: mi, value };
    }
  }
  return best ? interpret(best.value) : null;
}

function interpret(v: string | boolean): { supportedUntil: Date | null; eol: boolean | null } {
  if (typeof v === "boolean") return { supportedUntil: null, eol: v };
  // Supported through the named day: end of life from the next midnight UTC.
  return { supportedUntil: new Date(Date.parse(`${v}T00:00:00Z`) + 86_400_000), eol: null };
}
