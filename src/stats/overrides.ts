import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseCsv } from "../domains/csv.js";
import { isMisreportRuleId, type MisreportFlag, type MisreportRuleId } from "./misreport-rules.js";

/**
 * An operator's decision that a server's flag is a false alarm (`--misreport-overrides FILE`):
 * the rules listed in `clear` (or `*` for all) are not applied to `domain`. The note is shown
 * beside the cleared flag, so users see who vouched for the figures and why.
 */
export interface MisreportOverride {
  domain: string;
  clear: readonly (MisreportRuleId | "*")[];
  note: string;
}

/** A flag an override cleared: kept visible, with the operator's note, and left out of nothing. */
export interface ClearedFlag extends MisreportFlag {
  note: string;
}

const RuleList = z.union([z.string(), z.array(z.string())]).transform((v) => splitRules(v));
const Entry = z.object({ domain: z.string().min(1), clear: RuleList, note: z.string().default("") });
const JsonFile = z.union([
  z.array(Entry),
  z.record(z.string(), z.object({ clear: RuleList, note: z.string().default("") })),
]);

function splitRules(v: string | string[]): string[] {
  return (Array.isArray(v) ? v : v.split(/[;|\s]+/)).map((r) => r.trim()).filter((r) => r !== "");
}

function checked(domain: string, clear: string[], note: string, where: string): MisreportOverride {
  const bad = clear.filter((r) => r !== "*" && !isMisreportRuleId(r));
  if (bad.length) throw new Error(`${where}: unknown misreport rule id(s) ${bad.join(", ")}`);
  if (clear.length === 0) throw new Error(`${where}: no rule ids to clear`);
  const name = domain.trim().toLowerCase().replace(/\.$/, "");
  if (name === "" || /[\s/]/.test(name)) throw new Error(`${where}: not a domain: ${JSON.stringify(domain)}`);
  return { domain: name, clear: clear as (MisreportRuleId | "*")[], note: note.trim() };
}

/**
 * Parses an override file. JSON: `[{ "domain", "clear": ["rule_id", ...] | "*", "note" }]` or
 * `{ "domain": { "clear": [...], "note": "..." } }`. CSV: a header row `domain,clear,note`, rule ids
 * in `clear` separated by `;`, `|` or spaces. Throws with the line or entry at fault: the file is
 * the operator's, and a silently ignored line would keep a false alarm up.
 */
export function parseMisreportOverrides(
  text: string,
  format: "json" | "csv" | "auto" = "auto",
): MisreportOverride[] {
  const fmt = format === "auto" ? (/^\s*[[{]/.test(text) ? "json" : "csv") : format;
  if (fmt === "json") {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`override file: not valid JSON (${(err as Error).message})`, { cause: err });
    }
    const parsed = JsonFile.safeParse(raw);
    if (!parsed.success) throw new Error(`override file: ${z.prettifyError(parsed.error)}`);
    const v = parsed.data;
    return Array.isArray(v)
      ? v.map((e, i) => checked(e.domain, e.clear, e.note, `override entry ${i + 1}`))
      : Object.entries(v).map(([d, e]) => checked(d, e.clear, e.note, `override for ${d}`));
  }
  const rows = parseCsv(text).filter((r) => r.some((c) => c.trim() !== ""));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const di = header.indexOf("domain");
  const ci = header.indexOf("clear");
  const ni = header.indexOf("note");
  if (di < 0 || ci < 0)
    throw new Error("override file: CSV needs a header row with `domain` and `clear` columns");
  return rows.map((r, i) =>
    checked(r[di] ?? "", splitRules(r[ci] ?? ""), ni < 0 ? "" : (r[ni] ?? ""), `line ${i + 2}`),
  );
}

/** Reads an override file; the format follows the extension (`.json`, else CSV unless it looks like JSON). */
export function loadMisreportOverrides(path: string): MisreportOverride[] {
  return parseMisreportOverrides(readFileSync(path, "utf8"), path.endsWith(".json") ? "json" : "auto");
}

/** Index of overrides by domain: the cleared rule ids and the note. */
export function indexOverrides(
  overrides: readonly MisreportOverride[],
): Map<string, { clear: Set<string>; note: string }> {
  const byDomain = new Map<string, { clear: Set<string>; note: string }>();
  for (const o of overrides) {
    const cur = byDomain.get(o.domain) ?? { clear: new Set<string>(), note: "" };
    for (const r of o.clear) cur.clear.add(r);
    cur.note = [cur.note, o.note].filter((n) => n !== "").join("; ");
    byDomain.set(o.domain, cur);
  }
  return byDomain;
}

/** Whether an override entry clears `ruleId`. */
export function clears(entry: { clear: Set<string> } | undefined, ruleId: string): boolean {
  return entry !== undefined && (entry.clear.has("*") || entry.clear.has(ruleId));
}

/** Splits flags into those that stand and those an operator cleared. */
export function applyOverrides(
  flags: readonly MisreportFlag[],
  overrides: readonly MisreportOverride[],
): { active: MisreportFlag[]; cleared: ClearedFlag[] } {
  const idx = indexOverrides(overrides);
  const active: MisreportFlag[] = [];
  const cleared: ClearedFlag[] = [];
  for (const f of flags) {
    const o = idx.get(f.domain);
    if (clears(o, f.ruleId)) cleared.push({ ...f, note: o!.note });
    else active.push(f);
  }
  return { active, cleared };
}
