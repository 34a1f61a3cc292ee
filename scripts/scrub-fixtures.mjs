// Makes sim/fixtures/ from a folder of captured server responses: copies the files the simulation
// and the tests read, with every person's content scrubbed (post text, content warnings, names,
// usernames, display names, avatars and headers, profile URLs, bios, e-mail addresses, contact
// accounts, profile fields, media descriptions, link cards, poll options). Structure, types and
// text lengths are kept: a word becomes a placeholder word of the same length, so parsers and the
// features fedimon extracts (lengths, hashtags, languages, media, polls) see what they saw.
// Server names and software facts stay: they are what the captures are kept for.
//
//   node scripts/scrub-fixtures.mjs SOURCE_DIR [DEST_DIR]   (DEST_DIR defaults to sim/fixtures)
//
// It is deterministic: the same source gives the same files.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What is copied: folder → which files (all, or those a filter keeps). */
const SELECTION = {
  datasets: () => true,
  github_releases: () => true,
  hostmeta: () => true,
  // Only the activity documents are read (the parser test and the simulation's activity counts).
  instance_misc: (f) => f.includes("activity"),
  instance_v1: () => true,
  instance_v2: () => true,
  nodeinfo: () => true,
  peers: () => true,
  robots: () => true,
  statuses: () => true,
  streaming: () => true,
  webfinger: () => true,
};

/** Folders of the source's capture set (its count table names them), copied or not. */
const SELECTION_FOLDERS = new Set([...Object.keys(SELECTION), "misskey_api"]);

/** Placeholder words come from this text, cut to the length of the word they replace. */
const LOREM =
  "loremipsumdolorsitametconsecteturadipiscingelitseddoeiusmodtemporincididuntutlaboreetdoloremagnaaliqua";

/** Tokens kept as they are in scrubbed text: hashtags and custom emoji shortcodes. */
const KEPT_TOKEN = /(#[\p{L}\p{N}_]+|:[A-Za-z0-9_]+:)/u;

/** Path words that are routes, not people (never taken for a username). */
const NOT_USERNAMES = new Set([
  "sign_in",
  "sign_up",
  "auth",
  "edit",
  "password",
  "inbox",
  "outbox",
  "statuses",
]);

/** Hosts of source code, whose first path segment is a project's owner, not a fediverse account. */
const CODE_HOSTS =
  /^https?:\/\/(?:www\.)?(?:github\.com|gitlab\.com|framagit\.org|codeberg\.org|git\.[^/]+)$/i;

/** Words of fixture file names that name software or sources, never a person. */
const SOFTWARE_WORDS = new Set([
  "mastodon",
  "pleroma",
  "mobilizon",
  "fixture",
  "webfinger",
  "gotosocial",
  "friendica",
  "peertube",
  "gancio",
  "misskey",
  "testrig",
  "spec",
]);

/** Replaces every letter and digit of `text` with placeholder letters, keeping hashtags, shortcodes, spaces and punctuation. */
function scrubText(text) {
  let pos = 0;
  return text
    .split(KEPT_TOKEN)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/[\p{L}\p{N}\p{M}]+/gu, (word) => {
            const n = [...word].length;
            let out = "";
            while (out.length < n) {
              out += LOREM[pos % LOREM.length];
              pos++;
            }
            return out;
          }),
    )
    .join("");
}

/** Scrubs the text between HTML tags (entities kept); attributes stay, URLs in them go through {@link scrubUrl}. */
function scrubHtml(html, ctx) {
  let inHashtag = false; // the text of a hashtag link is the tag: kept
  return html
    .split(/(<[^>]*>)/)
    .map((part, i) => {
      if (i % 2 === 1) {
        if (/^<a\b/i.test(part)) inHashtag = /class="[^"]*\bhashtag\b|rel="tag"/i.test(part);
        else if (/^<\/a>/i.test(part)) inHashtag = false;
        return part.replace(/(href|src)="([^"]*)"/g, (_m, attr, url) => `${attr}="${ctx.url(url)}"`);
      }
      if (inHashtag) return part;
      return part
        .split(/(&[#a-zA-Z0-9]+;)/)
        .map((t, j) => (j % 2 === 1 ? t : scrubText(t)))
        .join("");
    })
    .join("");
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** The scheme and host of a URL (`https://host`), or "" for a relative one. */
function originOf(url) {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+/i.exec(url)?.[0] ?? "";
}

/** Usernames → placeholders (`user1`, `user2`, ...), shared by every file so one person maps once. */
class Names {
  map = new Map();
  /** Names an account or an acct: URI states (not merely a URL path that looks like one). */
  accounts = new Set();
  /** `known`: the name comes from an account's username field (so even a number is a name). */
  add(name, known = false) {
    if (typeof name !== "string" || name.length < 1 || NOT_USERNAMES.has(name)) return;
    if (!known && /^\d+$/.test(name)) return;
    const key = name.toLowerCase();
    if (!this.map.has(key)) this.map.set(key, `user${this.map.size + 1}`);
    if (known) this.accounts.add(key);
  }
  get(name) {
    return this.map.get(name.toLowerCase()) ?? name;
  }
  /** Names found in profile URLs and acct: URIs inside any text. */
  collect(text) {
    for (const m of text.matchAll(/acct(?::|%3A)([A-Za-z0-9_.-]+)(?:@|%40)/gi)) this.add(m[1], true);
    for (const m of text.matchAll(
      /https?:\/\/[^\s"'<>/]+\/(?:@|users\/|u\/|user\/|accounts\/|profile\/|~|hcard\/|poco\/|dfrn_poll\/|salmon\/|channel\/|ofeed\/)([A-Za-z0-9_-]+)/gi,
    ))
      this.add(m[1]);
  }
  /**
   * Replaces known names where a URL names a person: the segment after `/@`, `/users/`, `/u/`,
   * `/user/`, `/accounts/`, `/profile/` or `/~`, and `acct:name@` (the host and other paths stay).
   */
  inUrl(url) {
    const origin = originOf(url);
    const rest = url
      .slice(origin.length)
      .replace(
        /(\/(?:@|users\/|u\/|user\/|accounts\/|profile\/|~|hcard\/|poco\/|dfrn_poll\/|salmon\/|channel\/|ofeed\/))([A-Za-z0-9_-]+)/gi,
        (_m, marker, name) => marker + this.get(name),
      )
      .replace(/(acct(?::|%3A))([A-Za-z0-9_.-]+)(?=@|%40)/gi, (_m, p, name) => p + this.get(name))
      .replace(/((?:\?|&)[a-z_]*=)([A-Za-z0-9_.-]+)(?=@|%40)/gi, (_m, p, name) => p + this.get(name))
      // GNU social profiles: `https://host/name` and `https://host/index.php/name`.
      .replace(/^(\/(?:index\.php\/)?)([A-Za-z0-9_]+)(?=$|[/?#])/, (m, p, name) =>
        this.accounts.has(name.toLowerCase()) &&
        !SOFTWARE_WORDS.has(name.toLowerCase()) &&
        !CODE_HOSTS.test(origin)
          ? p + this.get(name)
          : m,
      );
    return origin + rest;
  }
  /** Replaces known names among the `_`, `-`, `@`-separated words of a file name (software names stay). */
  inFileName(name) {
    return name
      .split(/([_@-]+)/)
      .map((w, i) =>
        i % 2 === 0 && this.map.has(w.toLowerCase()) && !SOFTWARE_WORDS.has(w.toLowerCase())
          ? this.get(w)
          : w,
      )
      .join("");
  }
  /** Replaces known names standing alone in `text`. */
  inText(text) {
    if (this.map.size === 0) return text;
    if (!this.re || this.reSize !== this.map.size) {
      const alts = [...this.map.keys()]
        .sort((a, b) => b.length - a.length)
        .map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      // Not inside a longer word, and not a host's first label (`name.example`).
      this.re = new RegExp(`(?<![A-Za-z0-9.-])(${alts.join("|")})(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, "gi");
      this.reSize = this.map.size;
    }
    return text.replace(this.re, (m) => this.get(m));
  }
}

/** Scrubs every URL-like or acct-like substring of a free string (hosts kept, names replaced). */
/** Profile pictures outside account objects (WebFinger avatar links, Friendica photos). */
const PROFILE_PICTURE =
  /\/(?:photo\/profile|system\/accounts\/avatars|cache\/accounts\/avatars|accounts\/avatars)\//;

function scrubLinks(text, names) {
  return text.replace(
    /(?:[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+|acct:[^\s"'<>]+|[A-Za-z0-9_.-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+)/gi,
    (m) =>
      m.includes("://")
        ? PROFILE_PICTURE.test(m)
          ? placeholderImage(m, "avatar")
          : names.inUrl(m)
        : // A known name keeps its placeholder; any other address's local part is a person's: "contact".
          m.replace(/^(acct:)?([^@]+)/, (_x, p, local) =>
            p || names.map.has(local.toLowerCase()) ? `${p ?? ""}${names.get(local)}` : "contact",
          ),
  );
}

const AVATAR_KEYS = new Set([
  "avatar",
  "avatar_static",
  "header",
  "header_static",
  "banner",
  "icon",
  "image",
]);

function placeholderImage(url, kind) {
  if (typeof url !== "string" || url === "") return url;
  const origin = originOf(url);
  const ext = /\.(png|jpe?g|gif|webp|svg)(?:\?|$)/i.exec(url)?.[1] ?? "png";
  return `${origin}/${kind.startsWith("header") || kind === "banner" ? "headers" : "avatars"}/original/missing.${ext}`;
}

/** Scrubs one parsed JSON value in place of its original; `parentKey` says what holds it. */
function scrubJson(value, names, parentKey = "") {
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, names, parentKey));
  if (typeof value === "string") {
    if (parentKey === "payload" && /^\s*[{[]/.test(value)) {
      try {
        return JSON.stringify(scrubJson(JSON.parse(value), names));
      } catch {
        /* not JSON: scrubbed as text below */
      }
    }
    return scrubLinks(value, names);
  }
  if (!isObject(value)) return value;
  const isAccount =
    typeof value.username === "string" ||
    typeof value.acct === "string" ||
    typeof value.login === "string" ||
    parentKey === "person";
  // The account's own name, wherever else its object spells it (a GitHub user's html_url).
  const ownName = isAccount
    ? [value.username, value.login].find((n) => typeof n === "string" && n.length > 2)
    : undefined;
  const isStatus =
    "content" in value && ("visibility" in value || "spoiler_text" in value || "account" in value);
  const isMedia = parentKey === "media_attachments" || ("blurhash" in value && "preview_url" in value);
  // Links in text: a profile or hashtag link keeps its host (names replaced); any other link (a
  // person's website, an article) becomes a placeholder.
  const ctx = {
    url: (u) =>
      !/^https?:/.test(u)
        ? u
        : /^https?:\/\/[^/]+\/(?:@|users\/|u\/|user\/|accounts\/|profile\/|~|tags\/|tag\/)/i.test(u)
          ? names.inUrl(u)
          : "https://example.invalid/link",
  };
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "payload" && typeof v === "string" && /^\s*[{[]/.test(v)) {
      // WebSocket frames carry the event as JSON inside a string.
      out[k] = JSON.stringify(scrubJson(JSON.parse(v), names));
    } else if (typeof v === "string" && v !== "") {
      if (isAccount && (k === "username" || k === "login")) out[k] = names.get(v);
      else if (k === "adminAccount") out[k] = names.get(v);
      else if (isAccount && k === "avatar_url") out[k] = placeholderImage(v, "avatar");
      else if (parentKey === "nodeAdmins" && k === "name") out[k] = scrubText(v);
      else if (isAccount && k === "acct") out[k] = v.replace(/^([^@]+)/, (local) => names.get(local));
      else if (isAccount && k === "name" && parentKey === "person") out[k] = names.get(v);
      else if ((isAccount || parentKey === "maintainer") && (k === "display_name" || k === "name"))
        out[k] = scrubText(v);
      else if (isAccount && AVATAR_KEYS.has(k)) out[k] = placeholderImage(v, k);
      else if (isAccount && (k === "avatar_description" || k === "header_description")) out[k] = scrubText(v);
      else if (isAccount && k === "matrix_user_id") out[k] = "@user:example.invalid";
      else if (k === "note" || k === "bio") out[k] = scrubHtml(v, ctx);
      else if (k === "email")
        out[k] = v.includes("@") ? v.replace(/^[^@]*/, "contact") : "contact@example.invalid";
      else if (
        (isStatus || parentKey === "source" || parentKey === "pleroma") &&
        (k === "content" || k === "spoiler_text" || k === "text")
      )
        out[k] = k === "content" ? scrubHtml(v, ctx) : scrubText(v);
      else if (isMedia && k === "description") out[k] = scrubText(v);
      else if (isMedia && (k === "url" || k === "preview_url" || k === "remote_url" || k === "text_url"))
        out[k] = `${originOf(v)}/media/placeholder${/\.[a-z0-9]{2,4}(?=$|\?)/i.exec(v)?.[0] ?? ""}`;
      else if (
        parentKey === "card" &&
        ["title", "description", "author_name", "image_description"].includes(k)
      )
        out[k] = scrubText(v);
      else if (parentKey === "authors" && k === "name") out[k] = scrubText(v);
      else if (parentKey === "authors" && k === "url") out[k] = "https://example.invalid/card/author";
      else if (
        parentKey === "card" &&
        ["url", "author_url", "image", "embed_url", "provider_url"].includes(k)
      )
        out[k] = `https://example.invalid/card/${k}`;
      else if (parentKey === "card" && k === "html") out[k] = "";
      else if (parentKey === "options" && k === "title") out[k] = scrubText(v);
      else out[k] = scrubLinks(v, names);
    } else if ((k === "content" || k === "spoiler_text") && isObject(v)) {
      // Pleroma: `content: {"text/plain": "..."}`.
      out[k] = Object.fromEntries(
        Object.entries(v).map(([t, s]) => [t, typeof s === "string" ? scrubText(s) : s]),
      );
    } else if (k === "fields" && Array.isArray(v)) {
      out[k] = v.map((f) =>
        isObject(f)
          ? {
              ...f,
              ...(typeof f.name === "string" ? { name: scrubText(f.name) } : {}),
              ...(typeof f.value === "string" ? { value: scrubHtml(f.value, ctx) } : {}),
            }
          : f,
      );
    } else {
      out[k] = scrubJson(v, names, k);
    }
    if (ownName && typeof out[k] === "string" && out[k].includes("://")) {
      const own = new RegExp(`(?<=/)${ownName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=$|[/?#])`, "gi");
      out[k] = out[k].replace(own, names.get(ownName));
    }
  }
  return out;
}

/** Every username a parsed JSON value names (accounts, Lemmy people, profile URLs). */
function collectJson(value, names, parentKey = "") {
  if (Array.isArray(value)) return value.forEach((v) => collectJson(v, names, parentKey));
  if (typeof value === "string") {
    if (parentKey === "payload" && /^\s*[{[]/.test(value)) {
      try {
        return collectJson(JSON.parse(value), names);
      } catch {
        /* not JSON */
      }
    }
    return names.collect(value);
  }
  if (!isObject(value)) return;
  if (typeof value.username === "string") names.add(value.username, true);
  if (typeof value.login === "string") names.add(value.login, true);
  if (typeof value.adminAccount === "string") names.add(value.adminAccount, true);
  if (typeof value.acct === "string") names.add(value.acct.split("@")[0], true);
  if (parentKey === "person" && typeof value.name === "string") names.add(value.name, true);
  for (const [k, v] of Object.entries(value)) collectJson(v, names, k);
}

/** How a JSON file was indented, so the scrubbed copy reads like the capture. */
function indentOf(text) {
  const m = /^\{?\[?\s*\n([ \t]+)\S/.exec(text);
  return m ? m[1] : undefined;
}

/** Streams of JSON lines (SSE `data:`), JSON documents, or text (XML, HTTP captures). */
function forEachPart(file, text, onJson, onText) {
  if (file.endsWith(".sse.txt")) {
    return text
      .split("\n")
      .map((line) => {
        if (!line.startsWith("data: ")) return line;
        try {
          return `data: ${JSON.stringify(onJson(JSON.parse(line.slice(6))))}`;
        } catch {
          return `data: ${onText(line.slice(6))}`;
        }
      })
      .join("\n");
  }
  if (file.endsWith(".json")) {
    try {
      const out = JSON.stringify(onJson(JSON.parse(text)), null, indentOf(text));
      return text.endsWith("\n") ? `${out}\n` : out;
    } catch {
      /* not JSON after all */
    }
  }
  return onText(text);
}

/** Text files (XML, raw HTTP): names in URLs and acct: URIs, and XML elements that carry a person. */
function scrubPlainFile(text, names) {
  return scrubLinks(text, names)
    .replace(
      /(<(?:name|poco:displayName|poco:note|summary)>)([^<]*)(<\/)/g,
      (_m, a, body, c) => `${a}${scrubText(body)}${c}`,
    )
    .replace(
      /(href=")([^"]*\/(?:avatars?|headers?|accounts\/avatars)\/[^"]*)(")/g,
      (_m, a, url, c) => `${a}${placeholderImage(url, "avatar")}${c}`,
    );
}

function main() {
  const [source, dest = "sim/fixtures"] = process.argv.slice(2);
  if (!source || !existsSync(source)) {
    console.error("usage: node scripts/scrub-fixtures.mjs SOURCE_DIR [DEST_DIR]");
    process.exit(2);
  }
  const files = [];
  for (const [folder, keep] of Object.entries(SELECTION)) {
    for (const f of readdirSync(join(source, folder)).sort()) if (keep(f)) files.push([folder, f]);
  }
  // First pass: every username anywhere, so a name is replaced in every file that mentions it.
  const names = new Names();
  const texts = new Map();
  for (const [folder, f] of files) {
    const text = readFileSync(join(source, folder, f), "utf8");
    texts.set(`${folder}/${f}`, text);
    if (folder === "datasets" && !f.startsWith("lemmy")) continue; // server lists: no people's accounts
    forEachPart(
      f,
      text,
      (j) => (collectJson(j, names), j),
      (t) => (names.collect(t), t),
    );
  }
  rmSync(dest, { recursive: true, force: true });
  const renamed = new Map();
  for (const [folder, f] of files) {
    const text = texts.get(`${folder}/${f}`);
    const out =
      folder === "datasets" && !f.startsWith("lemmy")
        ? text
        : forEachPart(
            f,
            text,
            (j) => scrubJson(j, names),
            (t) => scrubPlainFile(t, names),
          );
    // File names can carry a username too (webfinger captures are named after the account).
    const name = folder === "webfinger" ? names.inFileName(f) : f;
    if (name !== f) renamed.set(`${folder}/${f}`, `${folder}/${name}`);
    mkdirSync(join(dest, folder), { recursive: true });
    writeFileSync(join(dest, folder, name), out);
  }
  writeFileSync(
    join(dest, "SOURCES.md"),
    sourcesMd(readFileSync(join(source, "SOURCES.md"), "utf8"), files, renamed),
  );
  console.log(
    `${files.length} files written to ${dest} (${names.map.size} usernames replaced, ${renamed.size} files renamed)`,
  );
  for (const [a, b] of renamed) console.log(`  renamed ${a} -> ${b}`);
}

/** The source's SOURCES.md, limited to the files copied, under their new names, with a note on the scrubbing. */
function sourcesMd(text, files, renamed) {
  const kept = new Set(files.map(([folder, f]) => `${folder}/${f}`));
  const lines = text.split("\n").filter((line) => {
    const m = /^\| `([^`]+\/[^`]+)` \|/.exec(line);
    return !m || kept.has(m[1]);
  });
  const counts = new Map();
  for (const [folder] of files) counts.set(folder, (counts.get(folder) ?? 0) + 1);
  let body = lines
    .join("\n")
    .replace(/^# Fixture sources\n/, "")
    .replace(
      /Every file in this folder was copied from a public repository; no values were invented or edited when copying\.\n/,
      "",
    );
  for (const [from, to] of renamed) body = body.split(`\`${from}\``).join(`\`${to}\``);
  // Sections and count rows of folders not copied go.
  body = body
    .split(/\n(?=## )/)
    .filter((section) => {
      const folder = /^## (\S+)\n/.exec(section)?.[1];
      return !folder || folder === "Counts" || folder.startsWith("Source") || counts.has(folder);
    })
    .join("\n");
  body = body
    .split("\n")
    .filter((line) => {
      const folder = /^\| ([a-z_0-9]+) \| \d+ \| /.exec(line)?.[1];
      return !folder || counts.has(folder) || !SELECTION_FOLDERS.has(folder);
    })
    .map((line) =>
      line.replace(/^\| ([a-z_0-9]+) \| \d+ \| (.*) \|$/, (l, folder, what) =>
        counts.has(folder) ? `| ${folder} | ${counts.get(folder)} | ${what} |` : l,
      ),
    )
    .join("\n")
    .replace(/^\| \*\*total\*\* \| \*\*\d+\*\* \|/m, `| **total** | **${files.length}** |`);
  return `# Fixture sources

The captured server responses the simulation and the tests read. Each file was copied from a public
repository (the tables below name the repository, the path and the commit) and then scrubbed by
\`scripts/scrub-fixtures.mjs\`: every person's content (post text and content warnings, names,
usernames and accts, display names, avatars and headers, profile URLs, bios and notes, e-mail
addresses, contact accounts, profile fields, media descriptions, link cards, poll options) was
replaced by placeholder text of the same length or a placeholder URL on the same host, and JSON
files were re-serialised. Server names, software names and versions, counts and every structural
field are as captured. File names that carried a username carry its placeholder. The notes below
describe the captures as published by their sources, before scrubbing.
${body.replace(/^\n+/, "\n")}`;
}

main();
