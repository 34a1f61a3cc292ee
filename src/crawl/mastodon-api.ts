import type { SoftwareInfo } from "../core/observation.js";

/** Whether a software serves the Mastodon client API (`/api/v1/instance`, peers ...). */
export type MastodonApiSupport = "yes" | "no" | "maybe";

/** Families that serve the Mastodon API natively. */
const YES_FAMILIES: ReadonlySet<string> = new Set([
  "mastodon",
  "pleroma",
  "gotosocial",
  "friendica",
  "pixelfed",
  "takahe",
  "snac",
  "iceshrimp.net",
]);

/** Misskey forks that added a Mastodon compatibility layer (plain Misskey has none). */
const YES_NAMES: ReadonlySet<string> = new Set([
  "firefish",
  "calckey",
  "sharkey",
  "iceshrimp",
  "catodon",
  "mitra",
  "hollo",
]);

/** Families known to serve no Mastodon API: asking would only cost them a 404. */
const NO_FAMILIES: ReadonlySet<string> = new Set([
  "misskey",
  "lemmy",
  "peertube",
  "mobilizon",
  "diaspora",
  "hubzilla",
  "kbin",
  "writefreely",
  "plume",
  "funkwhale",
  "bookwyrm",
  "gnusocial",
  "wordpress",
  "owncast",
  "gancio",
  "activityrelay",
  "microblogpub",
]);

/**
 * Decides from NodeInfo whether to ask a server's Mastodon API: `yes` for the families and forks
 * known to serve it, `no` for those known not to, `maybe` for software we do not know (the
 * pipeline then tries once and remembers a 404 as `none`). Pure.
 */
export function mastodonApiSupport(software: Pick<SoftwareInfo, "name" | "family">): MastodonApiSupport {
  if (YES_NAMES.has(software.name) || YES_FAMILIES.has(software.family)) return "yes";
  if (NO_FAMILIES.has(software.family)) return "no";
  return "maybe";
}

/** Whether a software offers `/api/v1/instance/activity` (Mastodon and its forks; others do not). */
export function offersActivity(software: Pick<SoftwareInfo, "family">): boolean {
  return software.family === "mastodon";
}
