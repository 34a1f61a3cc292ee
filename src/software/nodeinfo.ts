import { z } from "zod";
import type { ReportedFigures, SoftwareInfo } from "../core/observation.js";
import { identifySoftware } from "./families.js";
import { FieldReader, isRecord, prop, SANITY_LIMITS, zodReason } from "./fields.js";
import { fail, ok, type ParseResult } from "./parse-result.js";

/** One NodeInfo document offered by `/.well-known/nodeinfo`. */
export interface NodeInfoLink {
  /** Absolute http(s) URL of the document. */
  href: string;
  /** Schema version from the rel, e.g. `2.1`. */
  schemaVersion: string;
}

const REL_RE = /^https?:\/\/nodeinfo\.diaspora\.software\/ns\/schema\/(\d{1,3})\.(\d{1,3})\/?$/i;
/** Most links looked at in one discovery document. */
const MAX_LINKS = 100;

function versionKey(v: string): [number, number] {
  const [a, b] = v.split(".").map(Number);
  return [a ?? 0, b ?? 0];
}

/**
 * Reads `/.well-known/nodeinfo`: the links whose rel is
 * `http(s)://nodeinfo.diaspora.software/ns/schema/X.Y`, highest schema version first (so the
 * crawler takes the first). Relative hrefs are resolved against `baseUrl` (the discovery
 * document's own URL) when given and dropped with a warning otherwise; only absolute http(s) URLs
 * without credentials are returned. Tolerates old Hubzilla's broken shape (`links` as one object
 * and further links as top-level numbered keys). Fails when no usable link remains.
 */
export function parseNodeInfoDiscovery(json: unknown, baseUrl?: string): ParseResult<NodeInfoLink[]> {
  if (!isRecord(json)) return fail("discovery document is not a JSON object");
  const warnings: string[] = [];
  const raw: unknown[] = [];
  const links = json["links"];
  if (Array.isArray(links)) raw.push(...links);
  else if (isRecord(links)) {
    raw.push(links);
    warnings.push("links is an object, not a list");
  }
  for (const [key, value] of Object.entries(json)) {
    if (key !== "links" && isRecord(value) && "rel" in value && "href" in value) raw.push(value);
  }
  if (raw.length === 0) return fail("no links in discovery document");
  const out: NodeInfoLink[] = [];
  const seen = new Set<string>();
  for (const link of raw.slice(0, MAX_LINKS)) {
    const rel = prop(link, "rel");
    const href = prop(link, "href");
    if (typeof rel !== "string") continue;
    const m = REL_RE.exec(rel.trim());
    if (!m) continue;
    if (typeof href !== "string" || href.trim() === "") {
      warnings.push(`link ${rel}: no href`);
      continue;
    }
    const resolved = resolveHref(href.trim(), baseUrl);
    if (typeof resolved !== "string") {
      warnings.push(`link ${rel}: ${resolved.error}`);
      continue;
    }
    const schemaVersion = `${Number(m[1])}.${Number(m[2])}`;
    const key = `${schemaVersion} ${resolved}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ href: resolved, schemaVersion });
  }
  if (raw.length > MAX_LINKS) warnings.push(`only the first ${MAX_LINKS} links were read`);
  if (out.length === 0) return fail("no usable NodeInfo link");
  out.sort((a, b) => {
    const [a1, a2] = versionKey(a.schemaVersion);
    const [b1, b2] = versionKey(b.schemaVersion);
    return b1 - a1 || b2 - a2;
  });
  return ok(out, warnings);
}

function resolveHref(href: string, baseUrl: string | undefined): string | { error: string } {
  let url: URL;
  try {
    url = baseUrl === undefined ? new URL(href) : new URL(href, baseUrl);
  } catch {
    return { error: baseUrl === undefined ? "relative or invalid href" : "invalid href" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return { error: `unsupported scheme ${url.protocol}` };
  if (url.username !== "" || url.password !== "") return { error: "href carries credentials" };
  return url.href;
}

/** What a NodeInfo document says, after the misreport rules (docs/software.md). */
export interface NodeInfoData {
  /** The document's own `version` (`2.0`, `2.1`, …), or null. */
  schemaVersion: string | null;
  software: SoftwareInfo;
  /** Lower-cased protocol names (`activitypub`, `diaspora`, …); 1.x inbound/outbound are merged. */
  protocols: string[];
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  openRegistrations: boolean | null;
  /** From metadata where the software says so (Pleroma/Akkoma `accountApprovalRequired`), else null. */
  approvalRequired: boolean | null;
  /** `metadata.nodeName`, or null. */
  nodeName: string | null;
  /** `metadata.langs` (Misskey family) or `metadata.languages`, or null when not given. */
  languages: string[] | null;
  /** Numbers and fields that made no sense and were dropped, as `field: reason`. */
  rejectedFields: string[];
  /**
   * The usage figures that were dropped, as the server reported them (null when every figure was
   * kept): the misreport rules need them, an impossible figure being the strongest evidence there is.
   */
  reported: ReportedFigures | null;
}

const NodeInfoEnvelope = z.looseObject({
  software: z.looseObject({ name: z.string().trim().min(1, "empty") }),
});

/** NodeInfo2 (`/.well-known/x-nodeinfo2`) names the software in `server`, not `software`. */
const NodeInfo2Envelope = z.looseObject({
  server: z.looseObject({ software: z.string().trim().min(1, "empty") }),
});

function readProtocols(value: unknown, r: FieldReader): string[] {
  let list: unknown = value;
  if (isRecord(value)) {
    // NodeInfo 1.x: { inbound: [...], outbound: [...] }
    const inbound = Array.isArray(value["inbound"]) ? value["inbound"] : [];
    const outbound = Array.isArray(value["outbound"]) ? value["outbound"] : [];
    list = [...inbound, ...outbound];
  }
  const out = r.stringList(list, "protocols", 32, 64) ?? [];
  return [...new Set(out.map((p) => p.toLowerCase()))];
}

/**
 * Reads a NodeInfo document (1.0 to 2.2, and the NodeInfo2 variant) into NodeInfoData. Fails only
 * when it is not an object naming its software; every other oddity is kept as null with a
 * rejected field or a warning. Cross-field rules: monthly or half-year active users above the
 * total are rejected (they cannot be a subset of it); monthly above half-year is only a warning.
 * A usage figure that is dropped is kept as reported in `reported`, for the misreport rules.
 */
export function parseNodeInfo(json: unknown): ParseResult<NodeInfoData> {
  try {
    return parseNodeInfoUnsafe(json);
  } catch (error) {
    return fail(`unreadable NodeInfo: ${String(error).slice(0, 200)}`);
  }
}

function parseNodeInfoUnsafe(json: unknown): ParseResult<NodeInfoData> {
  if (!isRecord(json)) return fail("NodeInfo is not a JSON object");
  const r = new FieldReader();
  let name: string;
  let versionValue: unknown;
  let nodeNameValue: unknown;
  const metadata = prop(json, "metadata");
  const envelope = NodeInfoEnvelope.safeParse(json);
  if (envelope.success) {
    name = envelope.data.software.name;
    versionValue = envelope.data.software["version"];
    nodeNameValue = prop(metadata, "nodeName");
  } else {
    const ni2 = NodeInfo2Envelope.safeParse(json);
    if (!ni2.success) return fail(`not a NodeInfo document: ${zodReason(envelope.error)}`);
    name = ni2.data.server.software;
    versionValue = ni2.data.server["version"];
    nodeNameValue = ni2.data.server["name"];
    r.warnings.push("NodeInfo2 format");
  }

  let version: string | null = null;
  if (typeof versionValue === "string") version = versionValue.trim() || null;
  else if (typeof versionValue === "number" && Number.isFinite(versionValue)) {
    version = String(versionValue);
    r.warnings.push("software.version: number, not a string");
  } else if (versionValue !== undefined && versionValue !== null) {
    r.rejected.push(`software.version: not a string`);
  }
  const software = identifySoftware({ name, version, metadata });

  const schemaVersion =
    typeof json["version"] === "string" ? json["version"].trim().slice(0, 16) || null : null;
  const usage = prop(json, "usage");
  const users = prop(usage, "users");
  const usersTotal = r.count(prop(users, "total"), "usersTotal", SANITY_LIMITS.users);
  let usersActiveMonth = r.count(prop(users, "activeMonth"), "usersActiveMonth", SANITY_LIMITS.users);
  let usersActiveHalfyear = r.count(
    prop(users, "activeHalfyear"),
    "usersActiveHalfyear",
    SANITY_LIMITS.users,
  );
  if (usersTotal !== null && usersActiveMonth !== null && usersActiveMonth > usersTotal) {
    r.rejected.push("usersActiveMonth: exceeds usersTotal");
    usersActiveMonth = null;
  }
  if (usersTotal !== null && usersActiveHalfyear !== null && usersActiveHalfyear > usersTotal) {
    r.rejected.push("usersActiveHalfyear: exceeds usersTotal");
    usersActiveHalfyear = null;
  }
  if (usersActiveMonth !== null && usersActiveHalfyear !== null && usersActiveMonth > usersActiveHalfyear) {
    r.warnings.push("usersActiveMonth exceeds usersActiveHalfyear");
  }
  const localPosts = r.count(prop(usage, "localPosts"), "localPosts", SANITY_LIMITS.posts);
  const reported = reportedFigures(
    [prop(users, "total"), usersTotal],
    [prop(users, "activeMonth"), usersActiveMonth],
    [prop(users, "activeHalfyear"), usersActiveHalfyear],
    [prop(usage, "localPosts"), localPosts],
  );
  const openRegistrations = r.bool(prop(json, "openRegistrations"), "openRegistrations");
  const approvalValue = prop(metadata, "accountApprovalRequired") ?? prop(metadata, "approvalRequired");
  const approvalRequired = r.bool(approvalValue, "approvalRequired");
  const nodeName = r.text(nodeNameValue, "nodeName");
  const languages = r.stringList(
    prop(metadata, "langs") ?? prop(metadata, "languages"),
    "languages",
    undefined,
    35,
  );

  return ok(
    {
      schemaVersion,
      software,
      protocols: readProtocols(prop(json, "protocols"), r),
      usersTotal,
      usersActiveMonth,
      usersActiveHalfyear,
      localPosts,
      openRegistrations,
      approvalRequired,
      nodeName,
      languages,
      rejectedFields: r.rejected,
      reported,
    },
    r.warnings,
  );
}

/** A number as the server sent it (a JSON number, or a decimal string), or null. */
function sentNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && /^\s*-?\d{1,30}(\.\d{1,30})?\s*$/.test(value)) return Number(value);
  return null;
}

type SentAndKept = [sent: unknown, kept: number | null];

/** The figures that were sent as numbers but not kept; null when there are none. */
function reportedFigures(
  users: SentAndKept,
  month: SentAndKept,
  halfyear: SentAndKept,
  posts: SentAndKept,
): ReportedFigures | null {
  const dropped = ([sent, kept]: SentAndKept): number | null => (kept === null ? sentNumber(sent) : null);
  const out: ReportedFigures = {
    usersTotal: dropped(users),
    usersActiveMonth: dropped(month),
    usersActiveHalfyear: dropped(halfyear),
    localPosts: dropped(posts),
  };
  return Object.values(out).some((v) => v !== null) ? out : null;
}
