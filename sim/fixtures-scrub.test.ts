import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultFixturesDir } from "./fixtures-dir.js";

// The captured responses in sim/fixtures/ keep their structure but no person's content: every
// field that carries a person (post text, content warnings, names, usernames, display names,
// avatars and headers, profile URLs, bios, e-mails, contact accounts, profile fields, media
// descriptions, link cards, poll options) holds placeholder text or a placeholder URL
// (scripts/scrub-fixtures.mjs makes them). This walks every file and checks each such field.

const dir = defaultFixturesDir();
const LOREM =
  "loremipsumdolorsitametconsecteturadipiscingelitseddoeiusmodtemporincididuntutlaboreetdoloremagnaaliqua";
const USERNAME = /^user\d+$/;
/** What a profile picture becomes. */
const PICTURE = /\/(avatars|headers)\/original\/missing\.\w+$/;

/** Placeholder text: each word a piece of the placeholder text; hashtags and :shortcodes: kept. */
function isPlaceholderText(text: string): boolean {
  const words = text.replace(/#[\p{L}\p{N}_]+|:[A-Za-z0-9_]+:/gu, " ").match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const doubled = LOREM + LOREM;
  return words.every((w) => doubled.includes(w));
}

/** Placeholder HTML: the text between tags is placeholder text, hashtag links aside. */
function isPlaceholderHtml(html: string): boolean {
  const text = html
    .replace(/<a\b[^>]*(?:class="[^"]*\bhashtag\b|rel="tag")[^>]*>.*?<\/a>/gis, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&[#a-zA-Z0-9]+;/g, " ");
  return isPlaceholderText(text);
}

/** A profile URL names its person only by placeholder. */
function isPlaceholderProfileUrl(url: string): boolean {
  const m =
    /\/(?:@|users\/|u\/|accounts\/|profile\/|~|hcard\/|poco\/|dfrn_poll\/|salmon\/|channel\/|ofeed\/)([A-Za-z0-9_-]+)/.exec(
      url,
    );
  // Numeric ids, image densities (`/@1x/`) and GNU social's `salmon/user/N` route are not names.
  return !m || USERNAME.test(m[1]!) || /^\d+x?$/.test(m[1]!) || m[1] === "user";
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Every problem in one parsed document, as `path: reason`. */
function problems(value: unknown, path: string, parentKey = ""): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => out.push(...problems(v, `${path}[${i}]`, parentKey)));
    return out;
  }
  if (typeof value === "string") {
    if (parentKey === "payload" && /^\s*\{/.test(value))
      out.push(...problems(JSON.parse(value), `${path}<payload>`));
    return out;
  }
  if (!isObj(value)) return out;
  const bad = (key: string, why: string): void => void out.push(`${path}.${key}: ${why}`);
  const str = (k: string): string | null => (typeof value[k] === "string" ? (value[k] as string) : null);
  const isAccount =
    typeof value.username === "string" ||
    typeof value.acct === "string" ||
    typeof value.login === "string" ||
    parentKey === "person";
  if (isAccount) {
    const username = str("username") ?? str("login") ?? (parentKey === "person" ? str("name") : null);
    if (username !== null && !USERNAME.test(username)) bad("username", username);
    const acct = str("acct");
    if (acct !== null && !USERNAME.test(acct.split("@")[0]!)) bad("acct", acct);
    for (const k of ["display_name", "avatar_description", "header_description"])
      if (str(k) && !isPlaceholderText(str(k)!)) bad(k, str(k)!);
    for (const k of ["avatar", "avatar_static", "header", "header_static", "banner", "avatar_url"])
      if (str(k) && !PICTURE.test(str(k)!)) bad(k, str(k)!);
    for (const k of ["url", "uri", "actor_id"])
      if (str(k) && !isPlaceholderProfileUrl(str(k)!)) bad(k, str(k)!);
    for (const f of Array.isArray(value.fields) ? value.fields : []) {
      if (isObj(f) && typeof f.name === "string" && !isPlaceholderText(f.name)) bad("fields.name", f.name);
      if (isObj(f) && typeof f.value === "string" && !isPlaceholderHtml(f.value))
        bad("fields.value", f.value);
    }
  }
  for (const k of ["note", "bio"]) if (str(k) && !isPlaceholderHtml(str(k)!)) bad(k, str(k)!);
  if (str("email") && !/^contact@/.test(str("email")!)) bad("email", str("email")!);
  const isStatus =
    "content" in value && ("visibility" in value || "spoiler_text" in value || "account" in value);
  if (isStatus) {
    if (str("content") && !isPlaceholderHtml(str("content")!)) bad("content", str("content")!);
    for (const k of ["spoiler_text", "text"]) if (str(k) && !isPlaceholderText(str(k)!)) bad(k, str(k)!);
    for (const k of ["url", "uri"]) if (str(k) && !isPlaceholderProfileUrl(str(k)!)) bad(k, str(k)!);
  }
  if (parentKey === "media_attachments" && str("description") && !isPlaceholderText(str("description")!))
    bad("description", str("description")!);
  if (parentKey === "card") {
    for (const k of ["title", "description", "author_name"])
      if (str(k) && !isPlaceholderText(str(k)!)) bad(k, str(k)!);
    if (str("url") && !str("url")!.startsWith("https://example.invalid/")) bad("url", str("url")!);
  }
  if (parentKey === "options" && str("title") && !isPlaceholderText(str("title")!))
    bad("title", str("title")!);
  if (str("adminAccount") && !USERNAME.test(str("adminAccount")!)) bad("adminAccount", str("adminAccount")!);
  if (parentKey === "nodeAdmins" && str("name") && !isPlaceholderText(str("name")!))
    bad("name", str("name")!);
  if (parentKey === "maintainer" && str("name") && !isPlaceholderText(str("name")!))
    bad("name", str("name")!);
  for (const [k, v] of Object.entries(value)) out.push(...problems(v, `${path}.${k}`, k));
  return out;
}

/** Parsed JSON documents of one file (a JSON file, or each `data:` line of an SSE capture). */
function documents(file: string, text: string): unknown[] {
  if (file.endsWith(".sse.txt"))
    return text
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)) as unknown);
  if (file.endsWith(".json")) return [JSON.parse(text) as unknown];
  return [];
}

describe("sim/fixtures carries no person's content", () => {
  const folders = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());

  it("every personal field of every captured post and account holds a placeholder", () => {
    const found: string[] = [];
    let accounts = 0;
    for (const folder of folders) {
      if (folder.name === "datasets" || folder.name === "peers") continue; // server lists: no people
      for (const file of readdirSync(join(dir, folder.name)).sort()) {
        const text = readFileSync(join(dir, folder.name, file), "utf8");
        accounts += (text.match(/"username"/g) ?? []).length;
        for (const doc of documents(file, text)) found.push(...problems(doc, `${folder.name}/${file}`));
        // XML and raw captures: every acct: URI and profile URL names a placeholder.
        for (const m of text.matchAll(/acct:([A-Za-z0-9_.-]+)@/g))
          if (!USERNAME.test(m[1]!) && !/^\d+$/.test(m[1]!))
            found.push(`${folder.name}/${file}: acct:${m[1]}`);
        for (const m of text.matchAll(/https?:\/\/[^\s"'<>\\]+/g))
          if (!isPlaceholderProfileUrl(m[0]) || (/\/photo\/profile\//.test(m[0]) && !PICTURE.test(m[0])))
            found.push(`${folder.name}/${file}: ${m[0]}`);
      }
    }
    expect(accounts).toBeGreaterThan(300);
    expect(found).toEqual([]);
  });

  it("the Lemmy admins in the datasets are scrubbed too", () => {
    const file = join(dir, "datasets", "lemmy-instances-fediverse-observer-pangora-2023-11.json");
    expect(problems(JSON.parse(readFileSync(file, "utf8")), "lemmy")).toEqual([]);
    expect(readFileSync(file, "utf8")).toContain('"person"');
  });

  it("the check itself catches unscrubbed content", () => {
    const status = {
      content: "<p>Hello, I live in Paris</p>",
      visibility: "public",
      account: {
        username: "alice",
        acct: "alice",
        display_name: "Alice A.",
        avatar: "https://x.example/a.png",
      },
    };
    expect(problems(status, "s").length).toBeGreaterThanOrEqual(4);
  });
});
