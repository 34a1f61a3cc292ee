import type { Config } from "../config/config.js";
import type { EolTable } from "./eol-table.js";
import { loadEolTable } from "./eol-table.js";
import { DEFAULT_POLL_INTERVAL_SECS } from "./poller.js";
import type { RepositoryConfig } from "./types.js";
import { DEFAULT_REPOSITORIES, parseRepositories } from "./repositories.js";

/**
 * The release poller's settings beyond the configuration, as `fedimon releases` and `fedimon run`
 * take them: `--github-api URL` (over `config.githubApi`, env `FEDIMON_GITHUB_API`),
 * `--repos owner/name[=software],...` (default: DEFAULT_REPOSITORIES), `--interval SECS`
 * (default 300), `--eol-table FILE` (JSON merged over the built-in table). The token is
 * `config.githubToken`: env `GITHUB_TOKEN` only (never a flag: flags show up in `ps`).
 */
export interface ReleasesInput {
  githubApi?: string | null;
  repos?: string | null;
  intervalSecs?: number | null;
  eolTable?: string | null;
}

/** The checked settings of a release poller (see {@link releasesSettings}). */
export interface ReleasesSettings {
  apiUrl: string;
  repositories: readonly RepositoryConfig[];
  token: string | null;
  intervalSecs: number;
  eolTable: EolTable;
}

/**
 * Checks the release poller's settings. Configuration errors (a bad `--repos`, `--eol-table`,
 * `--github-api` or `--interval`) throw here, before anything is opened.
 */
export function releasesSettings(
  config: Pick<Config, "githubApi" | "githubToken">,
  input: ReleasesInput,
): ReleasesSettings {
  const repositories = input.repos ? parseRepositories(input.repos) : DEFAULT_REPOSITORIES;
  const eolTable = loadEolTable(input.eolTable ?? null);
  const apiUrl = input.githubApi ?? config.githubApi;
  const api = new URL(apiUrl);
  if (api.protocol !== "https:" && api.protocol !== "http:")
    throw new Error(`--github-api: not an http(s) URL: ${apiUrl}`);
  const intervalSecs = input.intervalSecs ?? DEFAULT_POLL_INTERVAL_SECS;
  if (!Number.isFinite(intervalSecs) || intervalSecs < 1) throw new Error(`--interval: at least 1 second`);
  return { apiUrl, repositories, token: config.githubToken, intervalSecs, eolTable };
}
