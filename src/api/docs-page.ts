import type { FastifyInstance } from "fastify";
import { xmlText } from "./feed/atom.js";

/**
 * `/api/docs`: the OpenAPI document as one self-contained HTML page, rendered on the server when
 * the app is built, so it reads in full without JavaScript (no script, no CDN, no framework).
 * Every value from the document is HTML-escaped; the Content-Security-Policy allows no script at
 * all. The link bar wraps (it fits a phone's width) and wide tables scroll inside their own box.
 */

type Json = Record<string, unknown>;

/** Escapes any value as HTML text (XML escaping is valid HTML). */
const htmlText = (v: unknown): string => xmlText(v === undefined || v === null ? "" : String(v));

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});

/** A schema's type in one short line (`$ref` name, enum values, type and bounds). */
function typeOf(schema: unknown): string {
  const s = obj(schema);
  if (typeof s.$ref === "string") return s.$ref.split("/").pop() ?? "";
  if (Array.isArray(s.enum)) return s.enum.map(String).join(" | ");
  let t = Array.isArray(s.type) ? s.type.map(String).join(" | ") : typeof s.type === "string" ? s.type : "";
  if (typeof s.format === "string") t += ` (${s.format})`;
  if (s.minimum !== undefined || s.maximum !== undefined)
    t += ` [${s.minimum === undefined ? "" : String(s.minimum)}, ${s.maximum === undefined ? "" : String(s.maximum)}]`;
  return t;
}

/** A value to put in a path's `{name}` for the page's "try" link. */
const EXAMPLES: Record<string, string> = {
  domain: "mastodon.social",
  software: "mastodon",
  version: "4.3.2",
  tag: "fediverse",
};

function operationHtml(path: string, op: Json): string {
  const id = htmlText(op.operationId);
  const parts = [
    `<section class="op" id="${id}">`,
    `<h3><span class="method">GET</span><code>${htmlText(path)}</code></h3>`,
    `<p>${htmlText(op.summary)}</p>`,
  ];
  if (op.description) parts.push(`<p class="muted">${htmlText(op.description)}</p>`);
  const params = Array.isArray(op.parameters) ? op.parameters.map(obj) : [];
  if (params.length > 0) {
    const rows = params.map((p) => {
      const schema = obj(p.schema);
      return `<tr><td><code>${htmlText(p.name)}</code>${p.required ? " *" : ""}</td><td>${htmlText(p.in)}</td><td>${htmlText(typeOf(schema))}</td><td>${htmlText(schema.default === undefined ? "" : JSON.stringify(schema.default))}</td><td>${htmlText(p.description)}</td></tr>`;
    });
    parts.push(
      `<div class="scroll"><table><tr><th>name</th><th>in</th><th>type</th><th>default</th><th>description</th></tr>${rows.join("")}</table></div>`,
    );
  }
  const ok = obj(obj(op.responses)["200"]);
  const contentType = Object.keys(obj(ok.content))[0] ?? "";
  const schema = contentType ? obj(obj(ok.content)[contentType]).schema : undefined;
  const schemaName = schema ? typeOf(schema) : "";
  const schemaLink = schemaName
    ? ` — <a href="#schema-${htmlText(schemaName)}">${htmlText(schemaName)}</a>`
    : "";
  parts.push(`<p class="muted">200: ${htmlText(contentType)}${schemaLink}</p>`);
  const url = path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(EXAMPLES[n] ?? "x"));
  parts.push(`<a href="${htmlText(url)}">try ${htmlText(url)}</a>`, "</section>");
  return parts.join("\n");
}

/** The whole page for an OpenAPI document. */
export function renderDocsPage(doc: Json): string {
  const info = obj(doc.info);
  const paths = Object.entries(obj(doc.paths))
    .map(([path, item]) => [path, obj(obj(item).get)] as const)
    .filter(([, op]) => typeof op.operationId === "string");
  const schemas = Object.entries(obj(obj(doc.components).schemas));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlText(info.title ?? "fedimon API")}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; overflow-wrap: anywhere; }
h1 { margin-bottom: 0; } .op { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem; }
.method { font-weight: bold; color: #06c; margin-right: 0.5rem; } code, pre { font: 13px ui-monospace, monospace; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; }
.scroll { overflow-x: auto; } table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
.muted { color: #666; }
nav { display: flex; flex-wrap: wrap; gap: 0.3rem 0.6rem; font: 13px ui-monospace, monospace; }
nav a { white-space: nowrap; }
@media (max-width: 30rem) { body { padding: 0.5rem; } .op { padding: 0.4rem 0.6rem; } }
</style>
</head>
<body>
<h1>${htmlText(info.title ?? "fedimon API")}</h1>
<p class="muted">${htmlText(info.description)} Version ${htmlText(info.version)}. <a href="/api/openapi.json">OpenAPI document</a></p>
<nav aria-label="operations">
${paths.map(([path, op]) => `<a href="#${htmlText(op.operationId)}">${htmlText(path)}</a>`).join("\n")}
</nav>
<main>
${paths.map(([path, op]) => operationHtml(path, op)).join("\n")}
</main>
<h2>Schemas</h2>
${schemas.map(([id, s]) => `<details id="schema-${htmlText(id)}"><summary>${htmlText(id)}</summary><pre>${htmlText(JSON.stringify(s, null, 2))}</pre></details>`).join("\n")}
</body>
</html>
`;
}

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Registers `/api/docs`, rendered once from the OpenAPI document `doc`. */
export function registerDocsPage(app: FastifyInstance, doc: Json): void {
  const page = renderDocsPage(doc);
  app.get("/api/docs", async (_req, reply) =>
    reply
      .header("content-security-policy", CSP)
      .header("cache-control", "public, max-age=3600")
      .type("text/html; charset=utf-8")
      .send(page),
  );
}
