import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/index.js";
import { releasesSettings } from "./command.js";
import { DEFAULT_EOL_TABLE } from "./eol-table.js";
import { DEFAULT_GITHUB_API, DEFAULT_POLL_INTERVAL_SECS } from "./poller.js";
import { DEFAULT_REPOSITORIES } from "./repositories.js";

describe("releasesSettings (what `releases` and `run` both build their poller from)", () => {
  const dir = mkdtempSync(join(tmpdir(), "fedimon-releases-settings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = defaultConfig();

  it("defaults to the GitHub API constant, the default repositories and interval, the built-in table", () => {
    expect(releasesSettings(config, {})).toEqual({
      apiUrl: DEFAULT_GITHUB_API,
      repositories: DEFAULT_REPOSITORIES,
      token: null,
      intervalSecs: DEFAULT_POLL_INTERVAL_SECS,
      eolTable: DEFAULT_EOL_TABLE,
    });
  });

  it("takes the API from the configuration unless given, and the token from the configuration", () => {
    const configured = defaultConfig({ githubApi: "http://configured.example/", githubToken: "ghp_x" });
    expect(releasesSettings(configured, {})).toMatchObject({
      apiUrl: "http://configured.example/",
      token: "ghp_x",
    });
    expect(releasesSettings(configured, { githubApi: "https://flag.example/" }).apiUrl).toBe(
      "https://flag.example/",
    );
  });

  it("merges --eol-table over the built-in table", () => {
    const file = join(dir, "eol.json");
    writeFileSync(file, JSON.stringify({ mastodon: { "4.3": "2026-06-30" } }));
    const { eolTable } = releasesSettings(config, { eolTable: file });
    expect(eolTable.mastodon).toEqual({ ...DEFAULT_EOL_TABLE.mastodon, "4.3": "2026-06-30" });
  });

  it("refuses a URL that is not http(s), an unreadable table, a bad interval or bad repositories", () => {
    expect(() => releasesSettings(config, { githubApi: "ftp://api.example/" })).toThrow(
      "--github-api: not an http(s) URL: ftp://api.example/",
    );
    expect(() => releasesSettings(defaultConfig({ githubApi: "file:///etc/passwd" }), {})).toThrow(
      /--github-api: not an http\(s\) URL/,
    );
    expect(() => releasesSettings(config, { eolTable: join(dir, "missing.json") })).toThrow(
      /^--eol-table .*missing\.json: ENOENT/,
    );
    expect(() => releasesSettings(config, { intervalSecs: 0 })).toThrow("--interval: at least 1 second");
    expect(() => releasesSettings(config, { repos: "not a repo" })).toThrow();
  });
});
