import type { RepositoryConfig } from "./types.js";

/**
 * The repositories polled by default, each mapped to the NodeInfo `software.name` its servers
 * report. Mastodon first: it is the one with a per-branch support policy and advisories that name
 * ranges. Software whose releases live outside GitHub is not polled (docs/releases.md lists it):
 * Akkoma (akkoma.dev), Pleroma (git.pleroma.social), Sharkey (activitypub.software), Iceshrimp
 * (iceshrimp.dev), Funkwhale (dev.funkwhale.audio), Mobilizon (framagit.org). GoToSocial moved its
 * development to Codeberg in 2025; its GitHub repository may stop receiving releases.
 */
export const DEFAULT_REPOSITORIES: readonly RepositoryConfig[] = [
  { repo: "mastodon/mastodon", software: "mastodon" },
  { repo: "misskey-dev/misskey", software: "misskey" },
  { repo: "superseriousbusiness/gotosocial", software: "gotosocial" },
  { repo: "pixelfed/pixelfed", software: "pixelfed" },
  { repo: "LemmyNet/lemmy", software: "lemmy" },
  { repo: "Chocobozzz/PeerTube", software: "peertube" },
  { repo: "friendica/friendica", software: "friendica" },
  { repo: "bookwyrm-social/bookwyrm", software: "bookwyrm" },
  { repo: "writefreely/writefreely", software: "writefreely" },
];

const REPO_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const SOFTWARE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Reads `--repos owner/name[=software][,owner/name[=software]...]` (software defaults to the
 * repository name lower-cased). Throws a readable Error on a bad entry (operator configuration,
 * checked once at start). A repository named twice keeps its last mapping.
 */
export function parseRepositories(spec: string): RepositoryConfig[] {
  const out = new Map<string, RepositoryConfig>();
  for (const part of spec.split(",")) {
    const entry = part.trim();
    if (entry === "") continue;
    const [repo = "", software] = entry.split("=", 2).map((s) => s.trim());
    if (!REPO_RE.test(repo) || repo.includes("..")) throw new Error(`--repos: not an owner/name: "${repo}"`);
    const sw = (software ?? repo.split("/")[1] ?? "").toLowerCase();
    if (!SOFTWARE_RE.test(sw)) throw new Error(`--repos: not a software name: "${software ?? sw}"`);
    out.set(repo.toLowerCase(), { repo, software: sw });
  }
  if (out.size === 0) throw new Error("--repos: no repository given");
  return [...out.values()];
}
