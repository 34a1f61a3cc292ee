import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { gzipBomb, OVERSIZED_BYTES, repeatedBlock, streamGenerated, trickle } from "./bodies.js";
import type { DocContext, Documents } from "./documents.js";
import type { GroundTruth } from "./expected.js";
import { PRIVATE_REDIRECTS } from "./faults.js";
import type { PeersGraph } from "./peers-graph.js";
import type { VirtualServer } from "./population.js";
import type { HostContext, SimRequest, SimResponse } from "./router.js";

const JSON_TYPE = "application/json; charset=utf-8";
const HTML_TYPE = "text/html; charset=utf-8";
const nodeinfoType = (schema: string): string =>
  `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/${schema}#"`;

const json = (status: number, body: string, headers: Record<string, string> = {}): SimResponse => ({
  status,
  headers: { "content-type": JSON_TYPE, ...headers },
  body,
});
const html = (status: number, body: string, headers: Record<string, string> = {}): SimResponse => ({
  status,
  headers: { "content-type": HTML_TYPE, ...headers },
  body,
});
const NOT_FOUND = html(
  404,
  "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
);

const NGINX = (code: number, text: string): string =>
  `<html>\r\n<head><title>${code} ${text}</title></head>\r\n<body>\r\n<center><h1>${code} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

const GTS_PEERS_401 = '{"error":"Unauthorized: peers open query requires an authenticated account/user"}';

/** The built-in behaviour of every virtual server: endpoints, built from its documents, and its fault. */
export class VhostResponder {
  readonly #lastModified: string;

  constructor(
    private readonly docs: Documents,
    private readonly truth: GroundTruth,
    private readonly graph: PeersGraph,
    private readonly seedText: string,
    startedAtMillis: number,
  ) {
    this.#lastModified = new Date(Math.floor(startedAtMillis / 1000) * 1000 - 3600_000).toUTCString();
  }

  /** Answers a request for a host of the population (`ctx.server` is set). */
  respond(req: SimRequest, ctx: HostContext): SimResponse {
    const s = ctx.server;
    if (!s) return NOT_FOUND;
    if (req.method !== "GET" && req.method !== "HEAD")
      return html(405, "Method Not Allowed", { allow: "GET, HEAD" });
    if (ctx.mode === "account") return this.#accountDomain(req, s);
    const dc: DocContext = { host: req.host, accountDomain: ctx.mode === "web" ? s.domain : req.host };
    if (s.fault === "cdn_challenge_403") return cdnChallenge(req.host);
    if (req.path === "/robots.txt") return this.#robots(s);
    if (s.fault === "not_fediverse") {
      return req.path === "/"
        ? html(
            200,
            `<!DOCTYPE html><html><head><title>${s.title}</title></head><body><h1>Welcome to ${s.title}</h1></body></html>`,
          )
        : NOT_FOUND;
    }
    const early = this.#pathFault(req, s, dc);
    if (early) return early;
    return this.#endpoint(req, s, dc);
  }

  #robots(s: VirtualServer): SimResponse {
    const answer = this.truth.robots(s);
    if (answer.status === 200)
      return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: answer.text };
    if (answer.status === 503)
      return html(503, NGINX(503, "Service Temporarily Unavailable"), { server: "nginx" });
    return NOT_FOUND;
  }

  /** Faults that strike every path but robots.txt. */
  #pathFault(req: SimRequest, s: VirtualServer, dc: DocContext): SimResponse | null {
    switch (s.fault) {
      case "rate_limited_429":
        return json(429, '{"error":"Too many requests"}', {
          "retry-after": "3600",
          "x-ratelimit-limit": "300",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": new Date(Date.now() + 3600_000).toISOString(),
        });
      case "http_500":
        return html(
          500,
          "<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title></head><body><h1>We're sorry, but something went wrong on our end.</h1></body></html>",
        );
      case "http_502":
        return html(502, NGINX(502, "Bad Gateway"), { server: "nginx" });
      case "http_503":
        return html(503, NGINX(503, "Service Temporarily Unavailable"), { server: "nginx" });
      case "gone_410":
        return html(
          410,
          "<!DOCTYPE html><html><body><h1>Gone</h1><p>This server has shut down. Please do not crawl it.</p></body></html>",
        );
      case "teapot_418":
        return html(
          418,
          "<!DOCTYPE html><html><body><h1>418 I'm a teapot</h1><p>No crawlers, please.</p></body></html>",
        );
      case "legal_451":
        return html(
          451,
          "<!DOCTYPE html><html><body><h1>451 Unavailable For Legal Reasons</h1></body></html>",
        );
      case "redirect_loop": {
        if (s.faultVariant === 0) {
          const looped = req.query.has("loop");
          return {
            status: 302,
            headers: { location: `https://${req.host}${req.path}${looped ? "" : "?loop=1"}` },
          };
        }
        const hop = /^\/hop\/(\d+)$/.exec(req.path);
        return {
          status: 302,
          headers: { location: `https://${req.host}/hop/${hop ? Number(hop[1]) + 1 : 1}` },
        };
      }
      case "redirect_private":
        return {
          status: 302,
          headers: { location: PRIVATE_REDIRECTS[s.faultVariant] ?? PRIVATE_REDIRECTS[0] },
        };
      case "slow_body": {
        const body = Buffer.from(this.docs.wellKnownNodeinfo(s, dc));
        return {
          status: 200,
          stream: (res) => {
            res.writeHead(200, { "content-type": JSON_TYPE, "content-length": body.length });
            trickle(res, body, 2000);
          },
        };
      }
      case "nodeinfo_401":
        if (
          req.path !== "/.well-known/nodeinfo" &&
          (this.docs.nodeinfoSchemaAt(s, req.path) || req.path.startsWith("/api/"))
        ) {
          return json(401, '{"error":"This API requires an authenticated user"}', {
            "www-authenticate": 'Bearer realm="Doorkeeper", error="invalid_token"',
          });
        }
        return null;
      default:
        return null;
    }
  }

  #endpoint(req: SimRequest, s: VirtualServer, dc: DocContext): SimResponse {
    const path = req.path;
    if (path === "/.well-known/nodeinfo") return json(200, this.docs.wellKnownNodeinfo(s, dc));
    const schema = this.docs.nodeinfoSchemaAt(s, path);
    if (schema) return this.#nodeinfo(s, schema, dc);
    switch (path) {
      case "/api/v1/instance":
      case "/api/v2/instance": {
        const doc = this.docs.instance(s, path === "/api/v1/instance" ? "v1" : "v2", dc);
        return doc === null ? json(404, '{"error":"Record not found"}') : json(200, doc);
      }
      case "/api/v1/instance/activity":
        return s.spec.activity ? json(200, this.docs.activity(s)) : json(404, '{"error":"Record not found"}');
      case "/api/v1/instance/peers":
        return this.#peers(req, s);
      case "/.well-known/host-meta":
        return {
          status: 200,
          headers: { "content-type": "application/xrd+xml; charset=utf-8" },
          body: this.docs.hostMeta(s, req.host),
        };
      case "/.well-known/webfinger":
        return this.#webfinger(req, s, req.host, dc.accountDomain);
      case "/":
        return html(
          200,
          `<!DOCTYPE html><html><head><title>${s.title}</title></head><body><h1>${s.title}</h1></body></html>`,
        );
      default:
        return NOT_FOUND;
    }
  }

  #nodeinfo(s: VirtualServer, schema: "1.0" | "2.0" | "2.1", dc: DocContext): SimResponse {
    const type = nodeinfoType(schema);
    switch (s.fault) {
      case "nodeinfo_oversized": {
        const withLength = s.faultVariant === 0;
        return {
          status: 200,
          stream: (res) => {
            res.writeHead(
              200,
              withLength
                ? { "content-type": type, "content-length": OVERSIZED_BYTES }
                : { "content-type": type },
            );
            const prefix = `{"version":"${schema}","software":{"name":"${s.spec.name}","version":"${s.version}"},"metadata":{"padding":"`;
            const filler = repeatedBlock("x");
            streamGenerated(res, prefix, () => filler, '"}}', OVERSIZED_BYTES);
          },
        };
      }
      case "nodeinfo_gzip_bomb":
        return {
          status: 200,
          headers: { "content-type": type, "content-encoding": "gzip" },
          body: gzipBomb(),
        };
      case "nodeinfo_malformed_json": {
        const doc = this.docs.nodeinfo(s, schema, dc);
        const body =
          s.faultVariant === 0
            ? doc.slice(0, Math.floor(doc.length * 0.6))
            : doc.replace('"software":', '"software" ').replace(/,"usage"/, ",usage");
        return { status: 200, headers: { "content-type": type }, body };
      }
      case "nodeinfo_missing_fields": {
        const doc = JSON.parse(this.docs.nodeinfo(s, schema, dc)) as Record<string, unknown>;
        if (s.faultVariant === 0) delete doc.software;
        else delete (doc.software as Record<string, unknown>).name;
        return { status: 200, headers: { "content-type": type }, body: JSON.stringify(doc) };
      }
      default:
        return { status: 200, headers: { "content-type": type }, body: this.docs.nodeinfo(s, schema, dc) };
    }
  }

  #peers(req: SimRequest, s: VirtualServer): SimResponse {
    if (s.spec.peers === "auth") return json(401, GTS_PEERS_401);
    if (s.spec.peers !== "open" && s.index >= 0) return json(404, '{"error":"Record not found"}');
    if (s.fault === "peers_oversized") {
      return {
        status: 200,
        stream: (res) => {
          res.writeHead(200, { "content-type": JSON_TYPE });
          // One block of entries repeated: the list is never parsed (it is past the cap), only refused.
          const block = repeatedBlock('"node.peers-overflow.invalid"', ",");
          streamGenerated(
            res,
            '["first.peers-overflow.invalid",',
            () => block,
            '"last.peers-overflow.invalid"]',
            OVERSIZED_BYTES,
          );
        },
      };
    }
    const etag = `W/"${createHash("sha1").update(`${this.seedText}:${s.domain}:peers`).digest("hex").slice(0, 20)}"`;
    const headers = { etag, "last-modified": this.#lastModified, "cache-control": "max-age=86400, public" };
    const inm = req.headers["if-none-match"];
    const ims = req.headers["if-modified-since"];
    const matches =
      typeof inm === "string" && inm.split(",").some((t) => t.trim() === etag || t.trim() === "*");
    const fresh =
      inm === undefined && typeof ims === "string" && Date.parse(ims) >= Date.parse(this.#lastModified);
    if (matches || fresh) return { status: 304, headers };
    return json(200, JSON.stringify(this.graph.servedList(s) ?? []), headers);
  }

  #webfinger(req: SimRequest, s: VirtualServer, webHost: string, accountDomain: string): SimResponse {
    const resource = req.query.get("resource");
    if (!resource) return json(400, '{"error":"missing resource"}');
    const m = /^(?:acct:)?@?([^@\s]+)@([^@\s]+)$/.exec(resource);
    if (!m || (m[2] !== accountDomain && m[2] !== webHost)) return json(404, '{"error":"Record not found"}');
    return {
      status: 200,
      headers: { "content-type": "application/jrd+json; charset=utf-8" },
      body: this.docs.webfinger(s, m[1] as string, webHost, accountDomain),
    };
  }

  /** An account domain whose server lives on another host: only host-meta and WebFinger point there. */
  #accountDomain(req: SimRequest, s: VirtualServer): SimResponse {
    const web = s.webDomain as string;
    switch (req.path) {
      case "/.well-known/host-meta":
        return {
          status: 200,
          headers: { "content-type": "application/xrd+xml; charset=utf-8" },
          body: this.docs.hostMeta(s, web),
        };
      case "/.well-known/webfinger":
        return this.#webfinger(req, s, web, s.domain);
      case "/":
        return { status: 301, headers: { location: `https://${web}/` } };
      default:
        return NOT_FOUND;
    }
  }
}

/** A Cloudflare-like challenge page (what a crawler meets behind a CDN's bot protection). */
function cdnChallenge(host: string): SimResponse {
  const ray = createHash("sha1").update(host).digest("hex").slice(0, 16);
  return html(
    403,
    `<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow"></head><body><div class="main-wrapper" role="main"><div class="main-content"><noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript></div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: '${host}',cType: 'managed'};}());</script></body></html>`,
    {
      server: "cloudflare",
      "cf-ray": `${ray}-FRA`,
      "cf-mitigated": "challenge",
      "cache-control": "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0",
      expires: "Thu, 01 Jan 1970 00:00:01 GMT",
      "x-frame-options": "SAMEORIGIN",
      "referrer-policy": "same-origin",
    },
  );
}

/** Writes a response (used by the HTTP server after the latency delay). */
export function writeResponse(res: ServerResponse, r: SimResponse, head: boolean): void {
  if (r.stream) {
    r.stream(res);
    return;
  }
  const body = r.body === undefined ? undefined : typeof r.body === "string" ? Buffer.from(r.body) : r.body;
  const headers: Record<string, string | number | readonly string[]> = { ...(r.headers ?? {}) };
  if (body !== undefined && r.status !== 304) headers["content-length"] = body.length;
  res.writeHead(r.status, headers as Record<string, string | number | string[]>);
  res.end(head || r.status === 304 ? undefined : body);
}
