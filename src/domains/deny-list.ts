import { readFileSync } from "node:fs";
import { domainToASCII } from "node:url";
import { quote } from "../core/quote.js";
import { parseCsv } from "./csv.js";

/**
 * How a deny-list entry is honoured: `hard` names (`suspend`) are never contacted;
 * `soft` ones (`silence` / `limit`) are crawled for aggregates and never shown one by one.
 */
export type DenyLevel = "hard" | "soft";

/** A loaded deny list. Lookups are by domain and cover every subdomain of an entry. */
export interface DenyList {
  /**
   * The level for a domain, or null. An entry `bad.example` covers `bad.example` and
   * `x.bad.example` (not `notbad.example`); an obfuscated entry such as `b*d.example` matches any
   * name of the same length where each `*` stands for exactly one character (Mastodon's
   * obfuscation keeps the length). When several entries match, `hard` wins.
   */
  match(domain: string): DenyLevel | null;
  /** Number of entries (exact and obfuscated). */
  readonly size: number;
}

const SEVERITY: Record<string, DenyLevel | "skip"> = {
  suspend: "hard",
  silence: "soft",
  limit: "soft",
  // Mastodon's `noop` only rejects media or reports: the server is not blocked.
  noop: "skip",
};

const LABEL_RE = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const PATTERN_RE = /^[a-z0-9_.*-]+$/;

function moreSevere(a: DenyLevel | null | undefined, b: DenyLevel): DenyLevel {
  return a === "hard" || b === "hard" ? "hard" : "soft";
}

/** Lower-case ASCII form of a name used for lookups, without a trailing dot; null if unusable. */
function lookupForm(name: string): string | null {
  const s = name.trim().toLowerCase().replace(/\.$/, "");
  if (s === "") return null;
  if (/^[\x21-\x7e]+$/.test(s)) return s;
  const ascii = domainToASCII(s);
  return ascii === "" ? null : ascii.replace(/\.$/, "");
}

class DenyListImpl implements DenyList {
  readonly exact = new Map<string, DenyLevel>();
  /** Obfuscated entries by length, each a lower-case pattern where `*` is one character. */
  readonly patterns = new Map<number, { pattern: string; level: DenyLevel }[]>();
  private patternCount = 0;

  get size(): number {
    return this.exact.size + this.patternCount;
  }

  addExact(domain: string, level: DenyLevel): void {
    this.exact.set(domain, moreSevere(this.exact.get(domain), level));
  }

  addPattern(pattern: string, level: DenyLevel): void {
    const list = this.patterns.get(pattern.length) ?? [];
    const same = list.find((p) => p.pattern === pattern);
    if (same) same.level = moreSevere(same.level, level);
    else {
      list.push({ pattern, level });
      this.patternCount++;
    }
    this.patterns.set(pattern.length, list);
  }

  match(domain: string): DenyLevel | null {
    if (typeof domain !== "string") return null;
    const name = lookupForm(domain);
    if (name === null) return null;
    let found: DenyLevel | null = null;
    for (let candidate: string | null = name; candidate !== null; candidate = parentOf(candidate)) {
      const exact = this.exact.get(candidate);
      if (exact) found = moreSevere(found, exact);
      for (const p of this.patterns.get(candidate.length) ?? []) {
        if (matchesPattern(p.pattern, candidate)) found = moreSevere(found, p.level);
      }
      if (found === "hard") return found;
    }
    return found;
  }
}

function parentOf(name: string): string | null {
  const dot = name.indexOf(".");
  return dot < 0 || dot === name.length - 1 ? null : name.slice(dot + 1);
}

function matchesPattern(pattern: string, name: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p !== "*" && p !== name[i]) return false;
  }
  return true;
}

/** Reads one `#domain` cell into an exact domain or a pattern, or explains why it cannot. */
function readEntry(cell: string): { kind: "exact" | "pattern"; name: string } | { error: string } {
  let s = cell.trim().toLowerCase().replace(/\.$/, "");
  // `*.bad.example` is a common way of writing "this domain and its subdomains".
  if (s.startsWith("*.")) s = s.slice(2);
  if (s === "") return { error: "empty domain" };
  if (s.includes("*")) {
    if (!PATTERN_RE.test(s)) return { error: `unreadable obfuscated domain ${quote(cell.trim())}` };
    if (/^\*+$/.test(s)) return { error: `obfuscated domain ${quote(cell.trim())} would match everything` };
    return { kind: "pattern", name: s };
  }
  const ascii = lookupForm(s);
  if (ascii === null || ascii.length > 253) return { error: `invalid domain ${quote(cell.trim())}` };
  const labels = ascii.split(".");
  if (labels.length < 2) return { error: `single-label domain ${quote(cell.trim())}` };
  if (!labels.every((l) => LABEL_RE.test(l))) return { error: `invalid domain ${quote(cell.trim())}` };
  return { kind: "exact", name: ascii };
}

const DOMAIN_HEADERS = new Set(["#domain", "domain"]);
const SEVERITY_HEADERS = new Set(["#severity", "severity"]);

/**
 * Reads a deny list in the IFTAS DNI / Mastodon domain-block CSV format
 * (`#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`). Lenient: columns
 * are found by header name (`#domain` or `domain`, `#severity` or `severity`) in any order, extra
 * columns are ignored, a file without a header reads the first column as the domain (and the
 * second as the severity when it is one). Severity `suspend`, empty or missing means hard;
 * `silence` and `limit` mean soft; `noop` entries are skipped (Mastodon does not block those);
 * an unknown severity is treated as hard and reported. Rows whose domain cell starts with `#`
 * are comments. Never throws: every unusable row is reported in `errors` (`row N: ...`).
 */
export function parseDenyList(csv: string): { list: DenyList; errors: string[] } {
  const list = new DenyListImpl();
  const errors: string[] = [];
  if (typeof csv !== "string") return { list, errors: ["not text"] };
  const rows = parseCsv(csv);
  let domainCol = 0;
  let severityCol: number | null = null;
  let headerless = true;
  const first = rows.findIndex((r) => r.some((c) => c.trim() !== ""));
  if (first >= 0) {
    const header = (rows[first] as string[]).map((c) => c.trim().toLowerCase());
    const d = header.findIndex((c) => DOMAIN_HEADERS.has(c));
    if (d >= 0) {
      headerless = false;
      domainCol = d;
      const s = header.findIndex((c) => SEVERITY_HEADERS.has(c));
      severityCol = s >= 0 ? s : null;
    }
  }
  rows.forEach((row, index) => {
    if (!headerless && index <= first) return;
    const cell = (row[domainCol] ?? "").trim();
    if (cell === "" && row.every((c) => c.trim() === "")) return;
    if (cell.startsWith("#")) return;
    let severityCell = severityCol === null ? "" : (row[severityCol] ?? "");
    if (headerless) {
      const second = (row[1] ?? "").trim().toLowerCase();
      severityCell = second in SEVERITY ? second : "";
    }
    const severity = severityCell.trim().toLowerCase();
    let level: DenyLevel;
    if (severity === "") level = "hard";
    else {
      const mapped = SEVERITY[severity];
      if (mapped === "skip") return;
      if (mapped === undefined) {
        errors.push(`row ${index + 1}: unknown severity ${quote(severity)}, treated as suspend`);
        level = "hard";
      } else level = mapped;
    }
    const entry = readEntry(cell);
    if ("error" in entry) {
      errors.push(`row ${index + 1}: ${entry.error}`);
      return;
    }
    if (entry.kind === "exact") list.addExact(entry.name, level);
    else list.addPattern(entry.name, level);
  });
  return { list, errors };
}

/**
 * Reads a deny-list file (`--deny-list FILE`) with {@link parseDenyList}. Throws when the file
 * cannot be read (an operator error worth stopping for); unusable rows are returned in `errors`
 * for the caller to log.
 */
export function loadDenyList(path: string): DenyList & { readonly errors: readonly string[] } {
  const { list, errors } = parseDenyList(readFileSync(path, "utf8"));
  return Object.assign(list, { errors });
}

/** A deny list with no entries (the default when no `--deny-list` is given). */
export function emptyDenyList(): DenyList {
  return new DenyListImpl();
}
