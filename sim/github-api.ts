import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import net from "node:net";
import type { Clock } from "../src/core/clock.js";
import { systemClock } from "../src/core/clock.js";
import { defaultFixturesDir } from "./fixtures-dir.js";
import type { SimAdvisory, SimRelease } from "./github-api-data.js";
import { mastodonAdvisories, mastodonReleases, misskeyReleases } from "./github-api-data.js";
import { advisoriesJson, releasesJson } from "./github-api-json.js";
import { issueLeafCert } from "./tls/ca.js";

/**
 * A GitHub REST API stand-in on a loopback address, for the release poller's tests and the
 * simulation: `/repos/{owner}/{repo}/releases` (paginated by `page`, `Link` headers, newest
 * first) and `/repos/{owner}/{repo}/security-advisories` (cursor-paginated like GitHub's), built
 * from the real release JSON in `sim/fixtures/github_releases/`. It keeps GitHub's rules:
 * ETags and `If-None-Match` (a 304 costs no rate limit), a per-identity rate limit with
 * `x-ratelimit-*` headers and 403 once used up, and injectable faults (secondary limits with
 * `Retry-After`, malformed JSON, wrong shapes, server errors).
 */

/** One repository's served history. */
export interface SimRepo {
  releases: SimRelease[];
  advisories: SimAdvisory[];
}

/** A fault the next requests get (`times` requests, default every request until cleared). */
export type GithubFault =
  | { kind: "secondary_rate_limit"; status: 403 | 429; retryAfterSecs: number | null }
  | { kind: "malformed" }
  | { kind: "wrong_shape" }
  | { kind: "status"; status: number };

/** One request the server answered. */
export interface GithubRequestLogEntry {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
  conditional: boolean;
  userAgent: string;
}

/** Options; every default serves Mastodon and Misskey over HTTPS on 127.0.0.1. */
export interface GithubApiSimOptions {
  /** A loopback address (127.0.0.0/8 or ::1); anything else is refused. Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** HTTPS with a certificate from the test CA (default true), or plain HTTP. */
  tls?: boolean;
  /** Names on the certificate, and the host name in `url` (default `localhost`). */
  hostname?: string;
  /** Times for rate-limit windows and default publication times. Default the wall clock. */
  clock?: Clock;
  /** Requests per hour without a token (GitHub: 60) and with one (GitHub: 5000). */
  rateLimit?: { anonymous: number; authenticated: number };
  /** Tokens accepted (`Authorization: Bearer ...`); any other token gets 401. Default: any token. */
  tokens?: string[];
  /** `owner/name` → history. Default mastodon/mastodon and misskey-dev/misskey. */
  repos?: Record<string, SimRepo>;
  fixturesDir?: string;
}

interface Window {
  limit: number;
  remaining: number;
  resetAt: number;
}

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The default served history. */
export function defaultSimRepos(): Record<string, SimRepo> {
  return {
    "mastodon/mastodon": { releases: mastodonReleases(), advisories: mastodonAdvisories() },
    "misskey-dev/misskey": { releases: misskeyReleases(), advisories: [] },
  };
}

/** A running simulated GitHub API. */
export class GithubApiSim {
  /** Base URL to pass as `--github-api`. */
  readonly url: string;
  /** Every request answered, in order. */
  readonly requests: GithubRequestLogEntry[] = [];
  readonly #server: http.Server;
  readonly #clock: Clock;
  readonly #repos = new Map<string, SimRepo>();
  readonly #windows = new Map<string, Window>();
  readonly #limits: { anonymous: number; authenticated: number };
  readonly #tokens: Set<string> | null;
  readonly #releaseTemplate: Record<string, unknown>;
  readonly #authorTemplate: Record<string, unknown>;
  #fault: { fault: GithubFault; endpoint: "releases" | "advisories" | "any"; remaining: number } | null =
    null;

  private constructor(server: http.Server, url: string, opts: GithubApiSimOptions) {
    this.#server = server;
    this.url = url;
    this.#clock = opts.clock ?? systemClock;
    this.#limits = opts.rateLimit ?? { anonymous: 60, authenticated: 5_000 };
    this.#tokens = opts.tokens ? new Set(opts.tokens) : null;
    const dir = (opts.fixturesDir ?? defaultFixturesDir()).replace(/\/?$/, "/");
    const list = JSON.parse(
      readFileSync(`${dir}github_releases/mastodon-releases-mnm-test.json`, "utf8"),
    ) as Record<string, unknown>[];
    const single = JSON.parse(
      readFileSync(`${dir}github_releases/github-api-get-release-by-tag-octokit-fixtures-2022.json`, "utf8"),
    ) as Record<string, unknown>;
    this.#releaseTemplate = list[0] ?? single;
    this.#authorTemplate = (single.author as Record<string, unknown>) ?? {};
    for (const [name, repo] of Object.entries(opts.repos ?? defaultSimRepos())) {
      this.#repos.set(name.toLowerCase(), { releases: [...repo.releases], advisories: [...repo.advisories] });
    }
  }

  /** Starts the server; resolves once it listens. */
  static async start(opts: GithubApiSimOptions = {}): Promise<GithubApiSim> {
    const host = opts.host ?? "127.0.0.1";
    if (!LOOPBACK_V4.test(host) && host !== "::1")
      throw new Error(`github-api sim: ${host} is not a loopback address`);
    const useTls = opts.tls ?? true;
    const hostname = opts.hostname ?? "localhost";
    let sim: GithubApiSim | null = null;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      if (sim) sim.#handle(req, res);
      else res.writeHead(503).end();
    };
    const server = useTls
      ? https.createServer({ ...(await issueLeafCert([hostname])) }, handler)
      : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const urlHost = useTls ? hostname : net.isIPv6(host) ? `[${host}]` : host;
    sim = new GithubApiSim(server, `${useTls ? "https" : "http"}://${urlHost}:${port}`, opts);
    return sim;
  }

  /** Publishes a release now (or at `publishedAt`): it appears first in the list and changes the ETag. */
  addRelease(
    repo: string,
    release: { tag: string; publishedAt?: Date | string; prerelease?: boolean },
  ): void {
    const r = this.#repo(repo);
    const at = release.publishedAt ?? this.#clock.now();
    r.releases.push({
      tag: release.tag,
      publishedAt: typeof at === "string" ? at : at.toISOString(),
      prerelease: release.prerelease ?? false,
    });
  }

  /** Publishes an advisory. */
  addAdvisory(repo: string, advisory: SimAdvisory): void {
    this.#repo(repo).advisories.push(advisory);
  }

  /** Injects a fault for the next `times` requests (default: until cleared) to one endpoint or any. */
  setFault(
    fault: GithubFault | null,
    opts: { endpoint?: "releases" | "advisories" | "any"; times?: number } = {},
  ): void {
    this.#fault = fault
      ? { fault, endpoint: opts.endpoint ?? "any", remaining: opts.times ?? Infinity }
      : null;
  }

  /** Uses up the rate limit of an identity (anonymous by default) until `resetAt`: requests get 403. */
  exhaustRateLimit(resetAt: Date, token: string | null = null): void {
    const w = this.#window(token);
    w.remaining = 0;
    w.resetAt = Math.floor(resetAt.getTime() / 1000);
  }

  /** What `x-ratelimit-remaining` would say now for an identity. */
  rateLimitRemaining(token: string | null = null): number {
    return this.#window(token).remaining;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #repo(name: string): SimRepo {
    const r = this.#repos.get(name.toLowerCase());
    if (!r) {
      const fresh: SimRepo = { releases: [], advisories: [] };
      this.#repos.set(name.toLowerCase(), fresh);
      return fresh;
    }
    return r;
  }

  #window(token: string | null): Window {
    const key = token === null ? "anonymous" : `token:${token}`;
    const nowSecs = Math.floor(this.#clock.now().getTime() / 1000);
    let w = this.#windows.get(key);
    if (!w || nowSecs >= w.resetAt) {
      const limit = token === null ? this.#limits.anonymous : this.#limits.authenticated;
      w = { limit, remaining: limit, resetAt: nowSecs + 3600 };
      this.#windows.set(key, w);
    }
    return w;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://sim.invalid");
    const auth = /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    const token = auth ? (auth[1] as string) : null;
    const entry: GithubRequestLogEntry = {
      method: req.method ?? "GET",
      path: url.pathname + url.search,
      status: 0,
      authorized: token !== null,
      conditional: typeof req.headers["if-none-match"] === "string",
      userAgent: String(req.headers["user-agent"] ?? ""),
    };
    this.requests.push(entry);
    const send = (status: number, body: string | null, headers: Record<string, string> = {}): void => {
      entry.status = status;
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(body ?? undefined);
    };
    const message = (status: number, msg: string, headers: Record<string, string> = {}): void =>
      send(
        status,
        JSON.stringify({
          message: msg,
          documentation_url: "https://docs.github.com/rest",
          status: String(status),
        }),
        headers,
      );

    if (req.method !== "GET" && req.method !== "HEAD") return message(404, "Not Found");
    if (token !== null && this.#tokens !== null && !this.#tokens.has(token))
      return message(401, "Bad credentials");
    const m = /^\/repos\/([^/]+)\/([^/]+)\/(releases|security-advisories)\/?$/.exec(url.pathname);
    const w = this.#window(token);
    const rlHeaders = (): Record<string, string> => ({
      "x-ratelimit-limit": String(w.limit),
      "x-ratelimit-remaining": String(w.remaining),
      "x-ratelimit-reset": String(w.resetAt),
      "x-ratelimit-used": String(w.limit - w.remaining),
      "x-ratelimit-resource": "core",
    });
    if (w.remaining <= 0) {
      return message(403, `API rate limit exceeded for ${token ? "user" : "127.0.0.1"}.`, rlHeaders());
    }
    const endpoint = m?.[3] === "releases" ? "releases" : "advisories";
    const f = this.#fault;
    if (f && f.remaining > 0 && (f.endpoint === "any" || f.endpoint === endpoint)) {
      f.remaining--;
      if (f.remaining <= 0) this.#fault = null;
      const fault = f.fault;
      if (fault.kind === "secondary_rate_limit") {
        const h: Record<string, string> = rlHeaders();
        if (fault.retryAfterSecs !== null) h["retry-after"] = String(fault.retryAfterSecs);
        return message(fault.status, "You have exceeded a secondary rate limit.", h);
      }
      w.remaining--;
      if (fault.kind === "malformed") {
        return send(
          200,
          `[{"url":"https://api.github.com/repos/x/y/releases/1","tag_name":"v4.`,
          rlHeaders(),
        );
      }
      if (fault.kind === "wrong_shape") {
        return send(200, JSON.stringify([{ tag_name: 42, draft: "no" }, { ghsa_id: null }]), rlHeaders());
      }
      return message(fault.status, "Server Error", rlHeaders());
    }
    if (!m) {
      w.remaining--;
      return message(404, "Not Found", rlHeaders());
    }
    const repoName = `${decodeURIComponent(m[1] as string)}/${decodeURIComponent(m[2] as string)}`;
    const repo = this.#repos.get(repoName.toLowerCase());
    if (!repo) {
      w.remaining--;
      return message(404, "Not Found", rlHeaders());
    }
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30));
    let items: unknown[];
    let link: string | null;
    if (endpoint === "releases") {
      const all = releasesJson(repoName, repo.releases, this.#releaseTemplate, this.#authorTemplate);
      const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
      items = all.slice((page - 1) * perPage, page * perPage);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const pageUrl = (p: number): string => `${this.url}${url.pathname}?per_page=${perPage}&page=${p}`;
      const rels: string[] = [];
      if (page < last) rels.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
      if (page > 1) rels.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
      link = rels.length > 0 ? rels.join(", ") : null;
    } else {
      const all = advisoriesJson(repoName, repo.advisories, this.#authorTemplate);
      const after = url.searchParams.get("after");
      const start = after ? Number(Buffer.from(after, "base64url").toString("utf8")) || 0 : 0;
      items = all.slice(start, start + perPage);
      link =
        start + perPage < all.length
          ? `<${this.url}${url.pathname}?per_page=${perPage}&after=${Buffer.from(String(start + perPage)).toString("base64url")}>; rel="next"`
          : null;
    }
    const body = JSON.stringify(items);
    const etag = `W/"${createHash("sha256")
      .update(body)
      .update(token ?? "")
      .digest("hex")
      .slice(0, 40)}"`;
    const inm = req.headers["if-none-match"];
    if (typeof inm === "string" && inm.split(",").some((t) => t.trim() === etag)) {
      // A conditional request answered 304 costs nothing (GitHub's rule).
      return send(304, null, { etag, ...rlHeaders() });
    }
    w.remaining--;
    const headers: Record<string, string> = {
      etag,
      ...rlHeaders(),
      "cache-control": "private, max-age=60, s-maxage=60",
    };
    if (link) headers.link = link;
    return send(200, req.method === "HEAD" ? null : body, headers);
  }
}

/** Starts a simulated GitHub API (see {@link GithubApiSim}). */
export function startGithubApiSim(opts: GithubApiSimOptions = {}): Promise<GithubApiSim> {
  return GithubApiSim.start(opts);
}
