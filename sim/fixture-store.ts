import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureFor, type NodeInfoSchema, type SoftwareSpec } from "./catalog.js";
import { compileJsonTemplate, type JsonTemplate, type SlotSpec, TextTemplate } from "./json-template.js";

const SIM_TEMPLATES_DIR = fileURLToPath(new URL("./templates/", import.meta.url));

const NODEINFO_SLOTS: SlotSpec[] = [
  { path: ["software", "name"], key: "name" },
  { path: ["software", "version"], key: "version" },
  { path: ["usage", "users", "total"], key: "usersTotal" },
  { path: ["usage", "users", "activeMonth"], key: "activeMonth" },
  { path: ["usage", "users", "activeHalfyear"], key: "activeHalfyear" },
  { path: ["usage", "localPosts"], key: "localPosts" },
  { path: ["openRegistrations"], key: "registrationsOpen" },
  { path: ["metadata", "nodeName"], key: "title" },
  { path: ["metadata", "name"], key: "title" },
  { path: ["metadata", "nodeDescription"], key: "description" },
  { path: ["metadata", "description"], key: "description" },
  { path: ["metadata", "maintainer", "email"], key: "email" },
];

const INSTANCE_V1_SLOTS: SlotSpec[] = [
  { path: ["title"], key: "title" },
  { path: ["version"], key: "apiVersion" },
  { path: ["description"], key: "description" },
  { path: ["short_description"], key: "description" },
  { path: ["email"], key: "email" },
  { path: ["stats", "user_count"], key: "usersTotal" },
  { path: ["stats", "status_count"], key: "localPosts" },
  { path: ["stats", "domain_count"], key: "domainCount" },
  { path: ["registrations"], key: "registrationsOpen" },
  { path: ["approval_required"], key: "approvalRequired" },
  { path: ["pleroma", "stats", "mau"], key: "activeMonth" },
];

const INSTANCE_V2_SLOTS: SlotSpec[] = [
  { path: ["title"], key: "title" },
  { path: ["version"], key: "apiVersion" },
  { path: ["description"], key: "description" },
  { path: ["usage", "users", "active_month"], key: "activeMonth" },
  { path: ["registrations", "enabled"], key: "registrationsOpen" },
  { path: ["registrations", "approval_required"], key: "approvalRequired" },
  { path: ["contact", "email"], key: "email" },
  { path: ["friendica", "version"], key: "version" },
  { path: ["pleroma", "stats", "mau"], key: "activeMonth" },
];

/** The placeholder host some captures were anonymised to, besides their own. */
const ANONYMISED_HOSTS = ["social.thisworksonmycomputer.local"];

/** Captured contact accounts name real people: served as null (a shape Mastodon itself uses). */
const CONTACT_PATHS = [["contact_account"], ["contact", "account"]] as const;

/** A compiled Mastodon-API instance document and the version string the capture carried. */
export interface InstanceTemplate {
  template: JsonTemplate;
  capturedVersion: string;
}

/** A WebFinger (JRD) document with the capture's host and account name replaced. */
export class WebfingerTemplate {
  readonly #parts: string[];
  constructor(text: string, host: string, user: string) {
    const hosted = new TextTemplate(text, host).render("\u0000H\u0000");
    const userRe = new RegExp(
      `(?<![A-Za-z0-9_])${user.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`,
      "g",
    );
    this.#parts = hosted.replace(userRe, "\u0000U\u0000").split("\u0000");
  }
  render(host: string, user: string): string {
    return this.#parts.map((p) => (p === "H" ? host : p === "U" ? user : p)).join("");
  }
}

/**
 * Loads fixture files and compiles them into templates, once each. Every response a virtual server
 * sends is rendered from one of these.
 */
export class FixtureStore {
  readonly #cache = new Map<string, unknown>();
  constructor(readonly dir: string) {}

  #memo<T>(key: string, make: () => T): T {
    if (this.#cache.has(key)) return this.#cache.get(key) as T;
    const value = make();
    this.#cache.set(key, value);
    return value;
  }

  /** Raw text of a fixture (`sim:` names are the simulation's own templates). */
  text(folder: string, file: string): string {
    return this.#memo(`text:${folder}/${file}`, () =>
      file.startsWith("sim:")
        ? readFileSync(join(SIM_TEMPLATES_DIR, file.slice(4)), "utf8")
        : readFileSync(join(this.dir, folder, file), "utf8"),
    );
  }

  /**
   * The NodeInfo document template of `schema` for a server of `spec` at `version`. A capture of
   * another schema version is converted (the `version` field; 2.0 has no software repository or
   * homepage). `hiddenUsage` keeps a capture's empty `users: {}`; otherwise a software whose capture
   * hides its numbers gets the standard ones.
   */
  nodeinfo(spec: SoftwareSpec, version: string, schema: NodeInfoSchema, hiddenUsage: boolean): JsonTemplate {
    const file =
      schema === "1.0" && spec.nodeinfo.fixture10
        ? spec.nodeinfo.fixture10
        : (fixtureFor(spec.nodeinfo.fixtures, version) ?? (spec.nodeinfo.fixtures[0]?.[1] as string));
    const showUsage = !hiddenUsage && spec.hiddenUsageShare !== undefined;
    return this.#memo(`nodeinfo:${file}:${schema}:${showUsage}`, () => {
      const doc = JSON.parse(this.text("nodeinfo", file)) as Record<string, unknown>;
      if (schema !== "1.0") {
        doc.version = schema;
        const software = doc.software as Record<string, unknown> | undefined;
        if (schema === "2.0" && software) {
          delete software.repository;
          delete software.homepage;
        }
      }
      if (doc.metadata) doc.metadata = scrubDomainLists(doc.metadata);
      if (showUsage) {
        doc.usage = {
          users: { total: 0, activeHalfyear: 0, activeMonth: 0 },
          localPosts: 0,
          localComments: 0,
        };
      }
      return compileJsonTemplate(doc, NODEINFO_SLOTS, captureHosts(doc.metadata));
    });
  }

  /** A `/api/v1/instance` or `/api/v2/instance` template. */
  instance(kind: "v1" | "v2", file: string): InstanceTemplate {
    return this.#memo(`instance:${kind}:${file}`, () => {
      const folder = kind === "v1" ? "instance_v1" : "instance_v2";
      const doc = JSON.parse(this.text(folder, file)) as Record<string, unknown>;
      const hostField = kind === "v1" ? doc.uri : doc.domain;
      const host = typeof hostField === "string" ? hostField.replace(/^https?:\/\//, "") : null;
      const nulls = CONTACT_PATHS.filter((p) => isPlainObject(get(doc, p)));
      return {
        template: compileJsonTemplate(
          doc,
          kind === "v1" ? INSTANCE_V1_SLOTS : INSTANCE_V2_SLOTS,
          [...(host ? [host] : []), ...ANONYMISED_HOSTS],
          nulls,
        ),
        capturedVersion: typeof doc.version === "string" ? doc.version : "",
      };
    });
  }

  /** robots.txt text, or null when the software serves none (404). */
  robots(file: string | null): string | null {
    return file ? this.text("robots", file) : null;
  }

  /** host-meta (XRD) template. */
  hostMeta(file: string): TextTemplate {
    return this.#memo(`hostmeta:${file}`, () => {
      const text = this.text("hostmeta", file);
      const host = /template=["']https?:\/\/([^/"']+)\//.exec(text)?.[1] ?? null;
      return new TextTemplate(text, host);
    });
  }

  /** WebFinger (JRD) template. */
  webfinger(file: string): WebfingerTemplate {
    return this.#memo(`webfinger:${file}`, () => {
      const text = this.text("webfinger", file);
      const subject = /"subject"\s*:\s*"acct:([^@"]+)@([^"]+)"/.exec(text);
      return new WebfingerTemplate(text, subject?.[2] ?? "localhost", subject?.[1] ?? "admin");
    });
  }
}

function get(doc: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const k of path)
    cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

function isPlainObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The version string the Mastodon API reports: captures of the `X (compatible; Name V)` form keep
 * their form with the server's version; otherwise the server's own (or its stated API version).
 */
export function apiVersionFor(captured: string, version: string, override?: string): string {
  if (override) return override;
  const m = /^(.*\(compatible; [^\s/]+[\s/])(.+)\)$/.exec(captured);
  return m ? `${m[1]}${version})` : version;
}

/** Hosts of software projects that captures legitimately link to (kept as they are). */
const PROJECT_HOSTS = new Set([
  "github.com",
  "codeberg.org",
  "firefish.dev",
  "iceshrimp.dev",
  "pixelfed.org",
  "framagit.org",
  "activitypub.software",
  "misskey-hub.net",
  "writefreely.org",
  "joinmastodon.org",
  "ko-fi.com",
  "example.com",
  "www.who.int",
]);

/**
 * Hosts a capture's NodeInfo metadata names as its own (URLs and e-mail domains that are not a
 * software project's): they become the server's host, so no real server's name is served.
 */
function captureHosts(metadata: unknown): string[] {
  const found = new Set<string>();
  const text = JSON.stringify(metadata ?? {});
  for (const m of text.matchAll(/(?:https?:\/\/|@)([a-z0-9-]+(?:\.[a-z0-9-]+)+)/gi)) {
    const host = (m[1] as string).toLowerCase();
    if (!PROJECT_HOSTS.has(host)) found.add(host);
  }
  // Longest first, so `meta.iceshrimp.social` goes before `iceshrimp.social`.
  return [...found].sort((a, b) => b.length - a.length);
}

const BARE_HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i;

/**
 * Pleroma and Akkoma publish their federation policies (MRF) and "bubble" servers in NodeInfo, as
 * lists of real servers' names. Such lists (and objects keyed by server name) are kept in shape
 * but emptied: the simulation serves no real server's name.
 */
function scrubDomainLists(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.some((v) => typeof v === "string" && BARE_HOST.test(v)) ? [] : value.map(scrubDomainLists);
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!BARE_HOST.test(k)) out[k] = scrubDomainLists(v);
    return out;
  }
  return value;
}
