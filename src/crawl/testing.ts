import type { Outcome } from "../core/outcome.js";
import type { Fetcher, HttpRequest, HttpResult, RobotsVerdict } from "../net/types.js";

/** A scripted answer of {@link FakeFetcher}: a response, a network failure, or a request that never ends. */
export type FakeAnswer =
  | { status: number; json?: unknown; body?: string; headers?: Record<string, string>; url?: string }
  | { fail: Exclude<Outcome, "ok">; detail?: string; status?: number; retryAfterMillis?: number }
  | { hang: true };

/**
 * A Fetcher for unit tests of the pipeline and the crawler: answers come from a table keyed by
 * URL (exact, or a function), robots verdicts per host, and every request is recorded. Unknown
 * URLs answer 404. Honours `signal` for hanging requests, as the real one does.
 */
export class FakeFetcher implements Fetcher {
  readonly requests: HttpRequest[] = [];
  readonly robotsChecks: string[] = [];
  robots = new Map<string, RobotsVerdict>();
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    public answers:
      Map<string, FakeAnswer> | ((url: string, req: HttpRequest) => FakeAnswer | undefined) = new Map(),
    private readonly delayMillis = 0,
  ) {}

  /** Sets the answer for a URL (a Map-backed fake only). */
  set(url: string, answer: FakeAnswer): this {
    if (!(this.answers instanceof Map)) throw new Error("answers is a function");
    this.answers.set(url, answer);
    return this;
  }

  /** Paths requested of a host, in order. */
  pathsOf(host: string): string[] {
    return this.requests
      .map((r) => new URL(r.url))
      .filter((u) => u.hostname === host)
      .map((u) => u.pathname + u.search);
  }

  async robotsAllowed(url: string): Promise<RobotsVerdict> {
    const host = new URL(url).hostname;
    this.robotsChecks.push(host);
    return this.robots.get(host) ?? { allowed: true, crawlDelaySecs: null };
  }

  async request(req: HttpRequest): Promise<HttpResult> {
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMillis > 0) await new Promise((r) => setTimeout(r, this.delayMillis));
      const host = new URL(req.url).hostname;
      const robots = this.robots.get(host);
      if (robots && !robots.allowed && robots.reason === "disallowed" && req.checkRobots !== false) {
        return {
          ok: false,
          outcome: "robots_disallow",
          detail: robots.detail,
          url: req.url,
          status: null,
          retryAfterMillis: null,
          elapsedMillis: 0,
        };
      }
      const answer = this.answers instanceof Map ? this.answers.get(req.url) : this.answers(req.url, req);
      if (answer === undefined) return this.#response(req.url, { status: 404, body: "not found" });
      if ("hang" in answer) {
        return await new Promise<HttpResult>((resolve) => {
          req.signal?.addEventListener("abort", () =>
            resolve({
              ok: false,
              outcome: "timeout",
              detail: "aborted",
              url: req.url,
              status: null,
              retryAfterMillis: null,
              elapsedMillis: 0,
            }),
          );
        });
      }
      if ("fail" in answer) {
        return {
          ok: false,
          outcome: answer.fail,
          detail: answer.detail ?? answer.fail,
          url: req.url,
          status: answer.status ?? null,
          retryAfterMillis: answer.retryAfterMillis ?? null,
          elapsedMillis: 1,
        };
      }
      return this.#response(req.url, answer);
    } finally {
      this.inFlight--;
    }
  }

  #response(
    url: string,
    a: { status: number; json?: unknown; body?: string; headers?: Record<string, string>; url?: string },
  ): HttpResult {
    const body = a.json !== undefined ? JSON.stringify(a.json) : (a.body ?? "");
    return {
      ok: true,
      status: a.status,
      url: a.url ?? url,
      headers: { "content-type": a.json !== undefined ? "application/json" : "text/html", ...a.headers },
      body: Buffer.from(body),
      redirects: a.url ? [url] : [],
      remoteAddress: "127.0.0.1",
      elapsedMillis: 1,
    };
  }

  clearCaches(): void {}
  recentTls(): null {
    return null;
  }
  async close(): Promise<void> {}
}

/** NodeInfo discovery and document answers for a host, as most servers serve them. */
export function nodeInfoAnswers(
  host: string,
  doc: unknown,
  opts: { rel?: "http" | "https"; docHost?: string } = {},
): [string, FakeAnswer][] {
  const docHost = opts.docHost ?? host;
  const rel = `${opts.rel ?? "http"}://nodeinfo.diaspora.software/ns/schema/2.0`;
  return [
    [
      `https://${host}/.well-known/nodeinfo`,
      { status: 200, json: { links: [{ rel, href: `https://${docHost}/nodeinfo/2.0` }] } },
    ],
    [`https://${docHost}/nodeinfo/2.0`, { status: 200, json: doc }],
  ];
}

/** A NodeInfo 2.0 document. */
export function nodeInfoDoc(
  name: string,
  version: string,
  usage: { total?: number; activeMonth?: number; activeHalfyear?: number; localPosts?: number } = {},
  extra: Record<string, unknown> = {},
): unknown {
  return {
    version: "2.0",
    software: { name, version },
    protocols: ["activitypub"],
    usage: {
      users: { total: usage.total, activeMonth: usage.activeMonth, activeHalfyear: usage.activeHalfyear },
      localPosts: usage.localPosts,
    },
    openRegistrations: true,
    metadata: { nodeName: `${name} node` },
    ...extra,
  };
}
