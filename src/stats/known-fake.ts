import { readFileSync } from "node:fs";

/** An operator's list of servers known to report fake figures (`--known-fake FILE`). */
export interface KnownFakeList {
  /** The matching entry and its note, or null. An entry covers the domain and its subdomains. */
  match(domain: string): { entry: string; note: string } | null;
  readonly size: number;
}

/**
 * Parses a known-fake list: one domain per line, optionally followed by `# note`; blank lines and
 * lines starting with `#` are skipped. Names are compared lower-case without a trailing dot.
 */
export function parseKnownFakeList(text: string): KnownFakeList {
  const entries = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const hash = line.indexOf("#");
    const name = (hash < 0 ? line : line.slice(0, hash)).trim().toLowerCase().replace(/\.$/, "");
    const note = hash < 0 ? "" : line.slice(hash + 1).trim();
    if (name !== "" && !/\s/.test(name)) entries.set(name, note);
  }
  return {
    size: entries.size,
    match(domain: string) {
      let d = domain.toLowerCase().replace(/\.$/, "");
      for (;;) {
        const note = entries.get(d);
        if (note !== undefined) return { entry: d, note };
        const dot = d.indexOf(".");
        if (dot < 0) return null;
        d = d.slice(dot + 1);
      }
    },
  };
}

/** Reads and parses a known-fake list file. */
export function loadKnownFakeList(path: string): KnownFakeList {
  return parseKnownFakeList(readFileSync(path, "utf8"));
}

/** A list that matches nothing (the default when no file is given). */
export const EMPTY_KNOWN_FAKE_LIST: KnownFakeList = parseKnownFakeList("");
