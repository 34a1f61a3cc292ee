import type { FastifyInstance } from "fastify";
import { listChanges, type StoredChange } from "../queries/changes.js";
import type { ApiContext } from "../options.js";

/**
 * The change feed as Atom (RFC 4287) at `/feed.atom`: the 50 latest notable changes. Text only;
 * every value is escaped and characters XML 1.0 forbids are dropped, so a hostile title or summary
 * cannot break the document.
 */

/** The feed's alternate: the same changes as JSON, served by the API itself. */
const CHANGES_PATH = "/api/v1/changes";

/** How many entries the feed carries. */
export const FEED_ENTRIES = 50;

// Characters outside XML 1.0's Char production (controls other than tab, LF, CR; lone surrogates; U+FFFE/F).
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for XML character data and attribute values. */
export function xmlText(s: string): string {
  return s
    .replace(INVALID_XML, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Only http(s) links go into the feed (a stored URL could be anything). */
function safeLink(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.toString() : null;
  } catch {
    return null;
  }
}

/** Renders changes (newest first) as an Atom document. */
export function renderAtom(changes: readonly StoredChange[], opts: { publicUrl: string; now: Date }): string {
  const base = opts.publicUrl;
  const updated = (changes[0]?.at ?? opts.now).toISOString();
  const entries = changes.map((c) => {
    const link =
      safeLink(c.url) ??
      (c.domain ? `${base}/api/v1/servers/${encodeURIComponent(c.domain)}` : `${base}${CHANGES_PATH}`);
    return [
      "  <entry>",
      `    <id>${xmlText(`${base}${CHANGES_PATH}#${encodeURIComponent(c.key)}`)}</id>`,
      `    <title type="text">${xmlText(c.title)}</title>`,
      `    <updated>${c.at.toISOString()}</updated>`,
      `    <published>${c.at.toISOString()}</published>`,
      `    <link rel="alternate" href="${xmlText(link)}"/>`,
      `    <category term="${xmlText(c.kind)}"/>`,
      `    <summary type="text">${xmlText(c.summary)}</summary>`,
      "  </entry>",
    ].join("\n");
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${xmlText(`${base}/feed.atom`)}</id>`,
    "  <title>fedimon: notable changes in the fediverse</title>",
    "  <subtitle>New releases and their adoption, security advisories, large servers appearing or going dark, misreport flags. Automated.</subtitle>",
    `  <updated>${updated}</updated>`,
    `  <link rel="self" href="${xmlText(`${base}/feed.atom`)}"/>`,
    `  <link rel="alternate" type="application/json" href="${xmlText(`${base}${CHANGES_PATH}`)}"/>`,
    "  <author><name>fedimon</name></author>",
    '  <generator uri="https://github.com/fedimon/fedimon">fedimon</generator>',
    "  <rights>CC0 1.0: no rights reserved</rights>",
    ...entries,
    "</feed>",
    "",
  ].join("\n");
}

/** Registers `/feed.atom`. */
export function registerFeedRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/feed.atom", async (_req, reply) => {
    const changes = await listChanges(ctx.db, { limit: FEED_ENTRIES });
    return reply
      .header("cache-control", "public, max-age=300")
      .type("application/atom+xml; charset=utf-8")
      .send(renderAtom(changes, { publicUrl: ctx.options.publicUrl, now: ctx.clock.now() }));
  });
}
