/**
 * Fast renderers for captured JSON documents. A fixture is parsed once, the values a virtual server
 * substitutes (its numbers, version, title) are replaced by slots and the fixture's own host name by
 * a host slot, then the text is cut into literal parts. Rendering a server's document is a string
 * join, so 50,000 servers cost nothing until a request arrives.
 */

/** The values a server substitutes into a template. Numbers may be replaced by wrong types on purpose. */
export interface TemplateValues {
  host: string;
  name: string;
  version: string;
  apiVersion: string;
  title: string;
  description: string;
  email: string;
  usersTotal: unknown;
  activeMonth: unknown;
  activeHalfyear: unknown;
  localPosts: unknown;
  domainCount: unknown;
  registrationsOpen: unknown;
  approvalRequired: unknown;
}

/** A value key a slot is filled from. */
export type SlotKey = Exclude<keyof TemplateValues, "host">;

/** Where in the document a value goes (a path of keys); absent or null paths are left as captured. */
export interface SlotSpec {
  path: readonly string[];
  key: SlotKey;
}

const SLOT_PREFIX = "@@SLOT";
const HOST_MARK = "@@HOST@@";

/** A compiled JSON document. */
export class JsonTemplate {
  /** Keys that have at least one slot (a key without a slot is not served by this software). */
  readonly present: ReadonlySet<SlotKey>;
  readonly #parts: string[];
  readonly #refs: (SlotKey | "host")[];
  readonly #asString: boolean[];

  constructor(parts: string[], refs: (SlotKey | "host")[], asString: boolean[], present: Set<SlotKey>) {
    this.#parts = parts;
    this.#refs = refs;
    this.#asString = asString;
    this.present = present;
  }

  /** The document for one server. */
  render(values: TemplateValues): string {
    let out = this.#parts[0] ?? "";
    for (let i = 0; i < this.#refs.length; i++) {
      const ref = this.#refs[i] as SlotKey | "host";
      if (ref === "host") out += values.host;
      else {
        const v = values[ref];
        out +=
          this.#asString[i] && typeof v === "number" ? JSON.stringify(String(v)) : JSON.stringify(v ?? null);
      }
      out += this.#parts[i + 1] ?? "";
    }
    return out;
  }
}

/**
 * Compiles a parsed fixture. `nulls` are paths set to null (e.g. a captured contact account that
 * names a real person); `fixtureHosts` are the hosts the capture came from (some captures were
 * anonymised to another name in places), replaced by the server's.
 */
export function compileJsonTemplate(
  doc: unknown,
  slots: readonly SlotSpec[],
  fixtureHosts: string | readonly string[] | null,
  nulls: readonly (readonly string[])[] = [],
): JsonTemplate {
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const path of nulls) {
    const parent = walk(copy, path.slice(0, -1));
    const last = path[path.length - 1] as string;
    if (parent && last in parent) parent[last] = null;
  }
  const slotKeys: SlotKey[] = [];
  const asString: boolean[] = [];
  const present = new Set<SlotKey>();
  for (const slot of slots) {
    const parent = walk(copy, slot.path.slice(0, -1));
    const last = slot.path[slot.path.length - 1] as string;
    if (!parent || !(last in parent) || parent[last] === null || typeof parent[last] === "object") continue;
    asString.push(typeof parent[last] === "string" && isNumberKey(slot.key));
    parent[last] = `${SLOT_PREFIX}${slotKeys.length}@@`;
    slotKeys.push(slot.key);
    present.add(slot.key);
  }
  let text = JSON.stringify(copy);
  for (const host of typeof fixtureHosts === "string" ? [fixtureHosts] : (fixtureHosts ?? []))
    text = replaceHost(text, host);
  const parts: string[] = [];
  const refs: (SlotKey | "host")[] = [];
  const refAsString: boolean[] = [];
  const re = /"@@SLOT(\d+)@@"|@@HOST@@/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    parts.push(text.slice(last, m.index));
    if (m[1] !== undefined) {
      const i = Number(m[1]);
      refs.push(slotKeys[i] as SlotKey);
      refAsString.push(asString[i] ?? false);
    } else {
      refs.push("host");
      refAsString.push(false);
    }
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return new JsonTemplate(parts, refs, refAsString, present);
}

/** A text document (XML, robots.txt) with the fixture's host replaced by the server's. */
export class TextTemplate {
  readonly #parts: string[];
  constructor(text: string, fixtureHost: string | null) {
    this.#parts = (fixtureHost ? replaceHost(text, fixtureHost) : text).split(HOST_MARK);
  }
  render(host: string): string {
    return this.#parts.join(host);
  }
}

function isNumberKey(key: SlotKey): boolean {
  return ["usersTotal", "activeMonth", "activeHalfyear", "localPosts", "domainCount"].includes(key);
}

function walk(root: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | null {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur !== null && typeof cur === "object" && !Array.isArray(cur)
    ? (cur as Record<string, unknown>)
    : null;
}

/**
 * Replaces the capture's host in URLs (scheme upgraded to https/wss, port dropped: every virtual
 * server is on 443) and as a bare name (also inside longer names such as `media.<host>`).
 */
function replaceHost(text: string, host: string): string {
  const h = host.replace(/:\d+$/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text
    .replace(new RegExp(`(https?|wss?):(?:\\\\?/){2}${h}(?::\\d+)?`, "g"), (_m, scheme: string) =>
      scheme.startsWith("ws") ? `wss://${HOST_MARK}` : `https://${HOST_MARK}`,
    )
    .replace(new RegExp(`(?<![A-Za-z0-9-])${h}(?::\\d+)?(?![A-Za-z0-9-])`, "g"), HOST_MARK);
}
