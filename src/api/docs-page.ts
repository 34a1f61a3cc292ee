import type { FastifyInstance } from "fastify";

/**
 * `/api/docs`: a small, self-contained page that renders `/api/openapi.json` (no CDN, no
 * framework). Everything from the document is inserted as text, never as HTML, and a strict
 * Content-Security-Policy allows only this origin's script and JSON.
 */

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fedimon API</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
h1 { margin-bottom: 0; } .op { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem; }
.method { font-weight: bold; color: #06c; margin-right: 0.5rem; } code, pre { font: 13px ui-monospace, monospace; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; } table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
.muted { color: #666; } nav a { margin-right: 0.8rem; }
</style>
</head>
<body>
<h1>fedimon API</h1>
<p class="muted" id="intro">Loading <a href="/api/openapi.json">/api/openapi.json</a> …</p>
<nav id="toc"></nav>
<main id="ops"></main>
<h2>Schemas</h2>
<div id="schemas"></div>
<script src="/api/docs.js"></script>
</body>
</html>
`;

const SCRIPT = `"use strict";
(function () {
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function typeOf(s) {
    if (!s) return "";
    if (s.$ref) return s.$ref.split("/").pop();
    if (s.enum) return s.enum.join(" | ");
    var t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "");
    if (s.format) t += " (" + s.format + ")";
    if (s.minimum !== undefined || s.maximum !== undefined) t += " [" + (s.minimum ?? "") + ", " + (s.maximum ?? "") + "]";
    return t;
  }
  function example(p) {
    if (p.name === "domain") return "mastodon.social";
    if (p.name === "software") return "mastodon";
    if (p.name === "version") return "4.3.2";
    if (p.name === "tag") return "fediverse";
    return "x";
  }
  fetch("/api/openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
    var intro = document.getElementById("intro");
    intro.textContent = (doc.info.description || "") + " Version " + doc.info.version + ". ";
    var raw = el("a", "OpenAPI document"); raw.href = "/api/openapi.json"; intro.appendChild(raw);
    var toc = document.getElementById("toc"), ops = document.getElementById("ops");
    Object.keys(doc.paths).forEach(function (path) {
      var op = doc.paths[path].get; if (!op) return;
      var a = el("a", path); a.href = "#" + op.operationId; toc.appendChild(a);
      var box = el("section", null, "op"); box.id = op.operationId;
      var h = el("h3"); h.appendChild(el("span", "GET", "method")); h.appendChild(el("code", path)); box.appendChild(h);
      box.appendChild(el("p", op.summary));
      if (op.description) box.appendChild(el("p", op.description, "muted"));
      if (op.parameters && op.parameters.length) {
        var t = el("table"), head = el("tr");
        ["name", "in", "type", "default", "description"].forEach(function (c) { head.appendChild(el("th", c)); });
        t.appendChild(head);
        op.parameters.forEach(function (p) {
          var tr = el("tr");
          tr.appendChild(el("td", p.name + (p.required ? " *" : "")));
          tr.appendChild(el("td", p.in));
          tr.appendChild(el("td", typeOf(p.schema)));
          tr.appendChild(el("td", p.schema && p.schema.default !== undefined ? p.schema.default : ""));
          tr.appendChild(el("td", p.description || ""));
          t.appendChild(tr);
        });
        box.appendChild(t);
      }
      var ok = op.responses["200"], content = ok && ok.content ? Object.keys(ok.content)[0] : "";
      var schema = content && ok.content[content].schema;
      box.appendChild(el("p", "200: " + content + (schema ? " — " + typeOf(schema) : ""), "muted"));
      var url = path.replace(/\\{(\\w+)\\}/g, function (_, n) { return encodeURIComponent(example({ name: n })); });
      var tryIt = el("a", "try " + url); tryIt.href = url; box.appendChild(tryIt);
      ops.appendChild(box);
    });
    var schemas = document.getElementById("schemas");
    Object.keys(doc.components.schemas).forEach(function (id) {
      var d = el("details"); d.id = "schema-" + id; d.appendChild(el("summary", id));
      d.appendChild(el("pre", JSON.stringify(doc.components.schemas[id], null, 2)));
      schemas.appendChild(d);
    });
  }).catch(function (e) {
    document.getElementById("intro").textContent = "Could not load the OpenAPI document: " + e;
  });
})();
`;

const CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/** Registers `/api/docs` (the page) and `/api/docs.js` (its script). */
export function registerDocsPage(app: FastifyInstance): void {
  app.get("/api/docs", async (_req, reply) =>
    reply
      .header("content-security-policy", CSP)
      .header("cache-control", "public, max-age=3600")
      .type("text/html; charset=utf-8")
      .send(PAGE),
  );
  app.get("/api/docs.js", async (_req, reply) =>
    reply.header("cache-control", "public, max-age=3600").type("text/javascript; charset=utf-8").send(SCRIPT),
  );
}
