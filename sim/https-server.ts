import http from "node:http";
import https from "node:https";
import net from "node:net";
import type tls from "node:tls";
import { issueLeafCert } from "./tls/ca.js";

const DAY_MILLIS = 86_400_000;

/** The security headers a default Mastodon install sends (nginx + Rails), used unless a variant says otherwise. */
export const MASTODON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "base-uri 'none'; default-src 'none'; frame-ancestors 'none'; font-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "permissions-policy": "interest-cohort=()",
};

/** How one simulated server runs HTTPS. Every field has a well-behaved default. */
export interface HttpsVariant {
  /** Lowest TLS version served. Default TLSv1.2. `TLSv1`/`TLSv1.1` also lower OpenSSL's security level. */
  minVersion?: tls.SecureVersion;
  /** Highest TLS version served. Default TLSv1.3. */
  maxVersion?: tls.SecureVersion;
  /** Certificate validity relative to the server's start, and how it is signed. Default: valid 90 days, by the test CA. */
  cert?: { notBeforeDays?: number; notAfterDays?: number; selfSigned?: boolean; names?: string[] };
  /** Strict-Transport-Security value, or null for none. Default two years, includeSubDomains, preload. */
  hsts?: string | null;
  /** Security headers sent on every response. Default {@link MASTODON_SECURITY_HEADERS}. */
  headers?: Readonly<Record<string, string>>;
  /** Port 80: redirect to HTTPS (default), serve the page, redirect to another http:// URL, or not listen. */
  http?: "redirect" | "serve" | "redirect-http" | "closed";
  /** Where `/` redirects (Mastodon sends visitors to `/about` or `/explore`), or null to serve it. Default null. */
  rootRedirect?: string | null;
  /** robots.txt body. Default allows everything. */
  robotsTxt?: string;
}

/** Ready-made variants the HTTPS tests and the simulation use, by the fault they show. */
export const HTTPS_VARIANTS = {
  modern: { rootRedirect: "/about" },
  tls12Only: { maxVersion: "TLSv1.2" },
  legacyTls: { minVersion: "TLSv1" },
  tls11Up: { minVersion: "TLSv1.1" },
  tls10Only: { minVersion: "TLSv1", maxVersion: "TLSv1" },
  expired: { cert: { notBeforeDays: -92, notAfterDays: -2 } },
  expiresIn5Days: { cert: { notBeforeDays: -85, notAfterDays: 5.5 } },
  selfSigned: { cert: { selfSigned: true } },
  wrongName: { cert: { names: ["somebody-else.example"] } },
  noHsts: { hsts: null },
  weakHsts: { hsts: "max-age=86400" },
  noRedirect: { http: "serve" },
  redirectToHttp: { http: "redirect-http" },
  closedHttp: { http: "closed" },
  noHeaders: { headers: {} },
  robotsDisallowRoot: { robotsTxt: "User-agent: *\nDisallow: /\n" },
} as const satisfies Record<string, HttpsVariant>;

/** One request the server received. */
export interface LoggedRequest {
  port: number;
  method: string;
  path: string;
  /** Requests in flight on this server (both ports) when this one arrived, itself included. */
  inFlight: number;
}

/** A running simulated HTTPS (and HTTP) server for one domain. */
export interface SimHttpsServer {
  readonly domain: string;
  readonly hosts: readonly string[];
  /** The HTTPS port bound (the kernel's choice when 0 was asked for; that of the first host). */
  readonly httpsPort: number;
  readonly requests: readonly LoggedRequest[];
  /** TLS handshakes completed, and attempts that failed (the probe's version checks). */
  readonly handshakes: { completed: number; failed: number };
  /** The most requests ever in flight at once on this server. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** Options for {@link startHttpsServer}. */
export interface HttpsServerOptions {
  domain: string;
  /** Loopback addresses to bind (e.g. `127.0.0.21`, `::1`). */
  hosts: string[];
  variant?: HttpsVariant;
  /** Default 443. */
  httpsPort?: number;
  /** Default 80. */
  httpPort?: number;
}

/**
 * Starts a server for one domain on loopback addresses: HTTPS with the variant's TLS versions,
 * certificate and headers, and plain HTTP as the variant says. Refuses non-loopback addresses.
 * Binding ports 80/443 needs the loopback-only namespace (`scripts/loopback-only.sh`).
 */
export async function startHttpsServer(opts: HttpsServerOptions): Promise<SimHttpsServer> {
  for (const host of opts.hosts) {
    if (!isLoopback(host)) throw new Error(`https-server: refusing to bind non-loopback address ${host}`);
  }
  const v: HttpsVariant = opts.variant ?? {};
  const now = Date.now();
  const pem = await issueLeafCert(v.cert?.names ?? [opts.domain], {
    notBefore: new Date(now + (v.cert?.notBeforeDays ?? -1) * DAY_MILLIS),
    notAfter: new Date(now + (v.cert?.notAfterDays ?? 90) * DAY_MILLIS),
    selfSigned: v.cert?.selfSigned ?? false,
  });
  const minVersion = v.minVersion ?? "TLSv1.2";
  const legacy = minVersion === "TLSv1" || minVersion === "TLSv1.1";
  const hsts = v.hsts === undefined ? "max-age=63072000; includeSubDomains; preload" : v.hsts;
  const headers = v.headers ?? MASTODON_SECURITY_HEADERS;
  const robots = v.robotsTxt ?? "User-agent: *\nDisallow:\n";
  const requests: LoggedRequest[] = [];
  const handshakes = { completed: 0, failed: 0 };
  let inFlight = 0;
  let maxInFlight = 0;

  const track = (port: number, req: http.IncomingMessage, res: http.ServerResponse): void => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    requests.push({ port, method: req.method ?? "GET", path: req.url ?? "/", inFlight });
    res.once("close", () => inFlight--);
  };

  const page = (res: http.ServerResponse, extra: Record<string, string>): void => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...extra });
    res.end(`<!doctype html><title>${opts.domain}</title><p>A simulated server.</p>`);
  };

  const onHttps = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    track(opts.httpsPort ?? 443, req, res);
    const common: Record<string, string> = {
      ...headers,
      ...(hsts ? { "strict-transport-security": hsts } : {}),
    };
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/robots.txt") {
      res.writeHead(200, {
        "content-type": "text/plain",
        ...(hsts ? { "strict-transport-security": hsts } : {}),
      });
      res.end(robots);
    } else if (path === "/" && v.rootRedirect) {
      res.writeHead(302, { location: v.rootRedirect, ...common });
      res.end();
    } else {
      page(res, common);
    }
  };

  const onHttp = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    track(opts.httpPort ?? 80, req, res);
    const mode = v.http ?? "redirect";
    const isRobots = (req.url ?? "/").startsWith("/robots.txt");
    if (mode === "redirect") {
      res.writeHead(301, { location: `https://${opts.domain}${req.url ?? "/"}` });
      res.end();
    } else if (mode === "redirect-http" && !isRobots) {
      res.writeHead(301, { location: `http://www.${opts.domain}${req.url ?? "/"}` });
      res.end();
    } else if (isRobots) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(robots);
    } else {
      page(res, {});
    }
  };

  const servers: net.Server[] = [];
  let boundHttpsPort = opts.httpsPort ?? 443;
  const sockets = new Set<net.Socket>();
  const keep = (s: net.Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };
  try {
    for (const host of opts.hosts) {
      const tlsServer = https.createServer(
        {
          ...pem,
          minVersion,
          maxVersion: v.maxVersion ?? "TLSv1.3",
          ...(legacy ? { ciphers: "DEFAULT:@SECLEVEL=0" } : {}),
        },
        onHttps,
      );
      tlsServer.on("connection", keep);
      tlsServer.on("secureConnection", () => handshakes.completed++);
      tlsServer.on("tlsClientError", () => handshakes.failed++);
      await listen(tlsServer, host, opts.httpsPort ?? 443);
      servers.push(tlsServer);
      if (servers.length === 1) boundHttpsPort = (tlsServer.address() as net.AddressInfo).port;
      if ((v.http ?? "redirect") !== "closed") {
        const plain = http.createServer(onHttp);
        plain.on("connection", keep);
        await listen(plain, host, opts.httpPort ?? 80);
        servers.push(plain);
      }
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }

  return {
    domain: opts.domain,
    hosts: opts.hosts,
    httpsPort: boundHttpsPort,
    requests,
    handshakes,
    get maxInFlight() {
      return maxInFlight;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function isLoopback(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith("127.");
  return address === "::1";
}
