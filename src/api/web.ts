import type { FastifyInstance } from "fastify";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The web dashboard: the files Vite built from `web/` (`npm run build` writes them to `dist/web/`),
 * served at `/` and `/assets/...`. The dashboard reads only the public API, so this is a small,
 * read-only file server: every file is read once at start (the whole build is a few hundred KB),
 * hashed assets are cached for a year, `index.html` for a minute, and a strict
 * Content-Security-Policy allows only this origin's scripts, styles, JSON and topology.
 */

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The manifest Vite writes beside a build; its presence tells a build from the source folder. */
const MANIFEST = join(".vite", "manifest.json");

/**
 * Where the built dashboard is: `dist/web/` beside the compiled program, or (running from the
 * sources with tsx) the repository's `dist/web/`. Null when the dashboard was not built.
 */
export function findWebDir(): string | null {
  for (const rel of ["../../web/", "../../dist/web/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, MANIFEST)) && existsSync(join(dir, "index.html"))) return dir;
  }
  return null;
}

interface WebFile {
  body: Buffer;
  type: string;
  immutable: boolean;
}

function readTree(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const rel = relative(dir, path).split(sep).join("/");
      if (rel.startsWith(".")) continue;
      if (statSync(path).isDirectory()) walk(path);
      else
        files.set(`/${rel}`, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? "application/octet-stream",
          immutable: rel.startsWith("assets/"),
        });
    }
  };
  walk(dir);
  return files;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fedimon</title></head>
<body><h1>fedimon</h1><p>The dashboard was not built (run <code>npm run build</code>). The API is at
<a href="/api/docs">/api/docs</a>.</p></body></html>
`;

/** Registers `/` and the dashboard's files; `dir` null or missing serves a page saying it was not built. */
export function registerWebRoutes(app: FastifyInstance, dir: string | null): void {
  const files = dir && existsSync(join(dir, "index.html")) ? readTree(dir) : new Map<string, WebFile>();
  const index = files.get("/index.html");
  app.get("/", async (_req, reply) =>
    reply
      .header("content-security-policy", CSP)
      .header("cache-control", "public, max-age=60")
      .type("text/html; charset=utf-8")
      .send(index ? index.body : NOT_BUILT),
  );
  for (const [path, file] of files) {
    if (path === "/index.html") continue;
    app.get(path, async (_req, reply) =>
      reply
        .header(
          "cache-control",
          file.immutable ? "public, max-age=31536000, immutable" : "public, max-age=3600",
        )
        .header("content-security-policy", CSP)
        .type(file.type)
        .send(file.body),
    );
  }
}
