import { z } from "zod";
import { FieldReader, isRecord, prop, SANITY_LIMITS, zodReason } from "./fields.js";
import { fail, ok, type ParseResult } from "./parse-result.js";

/**
 * What `/api/v1/instance` or `/api/v2/instance` says, after the misreport rules. v1 has totals
 * (users, posts, domains) but no monthly actives; v2 has monthly actives but no totals: a field
 * the document version does not carry is null.
 */
export interface InstanceData {
  /** The host the server names itself (v1 `uri`, v2 `domain`), lower-cased, without scheme, port or path. */
  domain: string | null;
  title: string | null;
  /** As served, e.g. `4.2.10+glitch` or `2.7.2 (compatible; Pleroma 2.4.3)`. */
  version: string | null;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  localPosts: number | null;
  /** Number of other domains the server knows (v1 `stats.domain_count`). */
  domainCount: number | null;
  registrationsOpen: boolean | null;
  approvalRequired: boolean | null;
  languages: string[] | null;
  /** Numbers and fields that made no sense and were dropped, as `field: reason`. */
  rejectedFields: string[];
}

/** Longest version string kept (longer ones are cut; see software/version.ts). */
const MAX_VERSION_CHARS = 200;

/** Both versions must at least be an object with a string version, as every Mastodon-API server sends. */
const InstanceEnvelope = z.looseObject({ version: z.string() });

/** The host part of `uri`/`domain`: v1 `uri` is a bare host on Mastodon but a URL on Pleroma and Sharkey. */
function hostOf(value: string | null, r: FieldReader, field: string): string | null {
  if (value === null) return null;
  let host: string;
  try {
    host = new URL(value.includes("://") ? value : `https://${value}`).hostname;
  } catch {
    r.rejected.push(`${field}: not a host name`);
    return null;
  }
  host = host.toLowerCase().replace(/\.$/, "");
  return host === "" ? null : host;
}

/** `registrations` is a boolean in v1 and an object in v2; Friendica sends the object in v1 too. */
function readRegistrations(
  value: unknown,
  r: FieldReader,
): { open: boolean | null; approval: boolean | null } {
  if (isRecord(value)) {
    return {
      open: r.bool(value["enabled"], "registrations.enabled"),
      approval: r.bool(value["approval_required"], "registrations.approval_required"),
    };
  }
  return { open: r.bool(value, "registrations"), approval: null };
}

function envelopeOf(json: unknown): ParseResult<Record<string, unknown>> {
  if (!isRecord(json)) return fail("instance document is not a JSON object");
  const parsed = InstanceEnvelope.safeParse(json);
  if (!parsed.success) return fail(`not an instance document: ${zodReason(parsed.error)}`);
  return ok(json);
}

/**
 * Reads Mastodon's `GET /api/v1/instance` (also served by Pleroma, Akkoma, Misskey forks, Friendica,
 * Pixelfed, GoToSocial). Fails only when it is not an object with a string `version`.
 */
export function parseInstanceV1(json: unknown): ParseResult<InstanceData> {
  const env = envelopeOf(json);
  if (!env.ok) return env;
  const doc = env.value;
  const r = new FieldReader();
  const stats = prop(doc, "stats");
  const reg = readRegistrations(doc["registrations"], r);
  const approvalTop = r.bool(doc["approval_required"], "approval_required");
  return ok(
    {
      domain: hostOf(r.text(doc["uri"], "uri"), r, "uri"),
      title: r.text(doc["title"], "title"),
      version: r.text(doc["version"], "version", MAX_VERSION_CHARS),
      usersTotal: r.count(prop(stats, "user_count"), "usersTotal", SANITY_LIMITS.users),
      usersActiveMonth: null,
      localPosts: r.count(prop(stats, "status_count"), "localPosts", SANITY_LIMITS.posts),
      domainCount: r.count(prop(stats, "domain_count"), "domainCount", SANITY_LIMITS.domains),
      registrationsOpen: reg.open,
      approvalRequired: approvalTop ?? reg.approval,
      languages: r.stringList(doc["languages"], "languages", undefined, 35),
      rejectedFields: r.rejected,
    },
    r.warnings,
  );
}

/**
 * Reads Mastodon's `GET /api/v2/instance` (Mastodon 4+, GoToSocial, Pleroma, Friendica, Firefish,
 * Pixelfed). Fails only when it is not an object with a string `version`.
 */
export function parseInstanceV2(json: unknown): ParseResult<InstanceData> {
  const env = envelopeOf(json);
  if (!env.ok) return env;
  const doc = env.value;
  const r = new FieldReader();
  const reg = readRegistrations(doc["registrations"], r);
  return ok(
    {
      domain: hostOf(r.text(doc["domain"], "domain"), r, "domain"),
      title: r.text(doc["title"], "title"),
      version: r.text(doc["version"], "version", MAX_VERSION_CHARS),
      usersTotal: null,
      usersActiveMonth: r.count(
        prop(prop(prop(doc, "usage"), "users"), "active_month"),
        "usersActiveMonth",
        SANITY_LIMITS.users,
      ),
      localPosts: null,
      domainCount: null,
      registrationsOpen: reg.open,
      approvalRequired: reg.approval,
      languages: r.stringList(doc["languages"], "languages", undefined, 35),
      rejectedFields: r.rejected,
    },
    r.warnings,
  );
}
