import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultFixturesDir } from "./fixtures-dir.js";
import { Rng } from "./prng.js";

/**
 * The statuses the simulated streaming endpoints emit: a deterministic plan (from a seed) of posts
 * and boosts, each rendered from a real captured status (`sim/fixtures/statuses/` and the
 * update events in `sim/fixtures/streaming/`) with its text, account and media replaced by
 * generated values whose features are known exactly. Every status carries a unique canary string
 * (in its text, content warning, account name, acct, display name, URI, media descriptions and poll
 * options) and every author an author canary, so a test can search a database dump and the logs
 * for them. The ground truth is computed here from the generated values, never by fedimon's code.
 */

/** Canary strings match this (and nothing else in the simulation does). */
export const CANARY_RE = /cnry[0-9a-f]{16}/g;

/** Visibilities as fedimon counts them. */
export type TruthVisibility = "public" | "unlisted" | "private" | "direct" | "other";

/** What fedimon must extract from one post. */
export interface PostTruth {
  kind: "post";
  index: number;
  uri: string;
  origin: string;
  /** Code points of the plain text (paragraphs joined by a blank line, `<br>` as a newline). */
  textLength: number;
  /** Attachments by type: image, gifv, video, audio, unknown. */
  mediaByType: [number, number, number, number, number];
  /** Normalised hashtags, distinct. */
  hashtags: string[];
  /** Primary language subtag or `und`. */
  language: string;
  sensitive: boolean;
  contentWarning: boolean;
  reply: boolean;
  poll: boolean;
  visibility: TruthVisibility;
  /** Stable per author (the account URI). */
  authorKey: string;
  /** The author opted out of discovery or indexing: nothing of this post may be counted. */
  optedOut: boolean;
  canaries: string[];
}

/** A boost of an earlier post. */
export interface BoostTruth {
  kind: "boost";
  index: number;
  /** The boost activity's own URI (`.../activity`). */
  uri: string;
  /** Host of the boost's URI (the booster's server). */
  origin: string;
  boosterOptedOut: boolean;
  /** Index of the boosted post. */
  inner: number;
  canaries: string[];
}

/** One planned status. */
export type PlannedStatus = PostTruth | BoostTruth;

/** Options for {@link planStatuses}. */
export interface PlanOptions {
  seed: number | string;
  /** How many statuses (posts and boosts). */
  count: number;
  /** Domains the posts come from (listened servers and remote ones). */
  origins: readonly string[];
  /** Authors per origin. Default 12. */
  authorsPerOrigin?: number;
  /** Share of boosts. Default 0.08. */
  boostShare?: number;
  fixturesDir?: string;
}

/** A plan and its renderer. */
export interface StatusPlan {
  readonly items: readonly PlannedStatus[];
  /** The status JSON (a string, as Mastodon's `payload`), rendered once and cached. */
  json(index: number): string;
  /** Every canary of the plan. */
  readonly canaries: ReadonlySet<string>;
}

// --- fixtures --------------------------------------------------------------------------------

interface FixturePools {
  statuses: Record<string, unknown>[];
  attachments: Record<string, unknown>[];
  polls: Record<string, unknown>[];
}

const poolCache = new Map<string, FixturePools>();

function loadPools(dir: string): FixturePools {
  const cached = poolCache.get(dir);
  if (cached) return cached;
  const statuses: Record<string, unknown>[] = [];
  const attachments: Record<string, unknown>[] = [];
  const polls: Record<string, unknown>[] = [];
  const take = (s: unknown): void => {
    if (typeof s !== "object" || s === null) return;
    const o = s as Record<string, unknown>;
    if (typeof o.uri !== "string" || typeof o.account !== "object" || typeof o.content !== "string") return;
    statuses.push(o);
    for (const m of (o.media_attachments as unknown[]) ?? [])
      if (m && typeof m === "object") attachments.push(m as Record<string, unknown>);
    if (o.poll && typeof o.poll === "object") polls.push(o.poll as Record<string, unknown>);
    if (o.reblog) take(o.reblog);
  };
  const sdir = join(dir, "statuses");
  for (const f of readdirSync(sdir).sort()) {
    const j = JSON.parse(readFileSync(join(sdir, f), "utf8")) as unknown;
    if (f.endsWith("media_attachment.json") || f.endsWith("video-attachment.json"))
      attachments.push(j as Record<string, unknown>);
    else for (const s of Array.isArray(j) ? j : [j]) take(s);
  }
  const stdir = join(dir, "streaming");
  for (const f of readdirSync(stdir).sort()) {
    const text = readFileSync(join(stdir, f), "utf8");
    if (f.endsWith(".sse.txt")) {
      // Captured SSE bodies: `event: update` followed by one `data:` line with the status.
      const lines = text.split("\n");
      for (let i = 0; i + 1 < lines.length; i++) {
        if (lines[i] === "event: update" && lines[i + 1]!.startsWith("data: "))
          take(JSON.parse(lines[i + 1]!.slice(6)));
      }
    } else {
      const frame = JSON.parse(text) as { event?: string; payload?: unknown };
      if (frame.event === "update" && typeof frame.payload === "string") take(JSON.parse(frame.payload));
    }
  }
  const pools = { statuses, attachments, polls };
  poolCache.set(dir, pools);
  return pools;
}

// --- generated values with known features ---------------------------------------------------

const WORDS = [
  "the",
  "fediverse",
  "morning",
  "coffee",
  "rain",
  "train",
  "garden",
  "photo",
  "music",
  "code",
  "walk",
  "today",
  "release",
  "server",
  "cat",
  "bread",
  "weekend",
  "sunset",
  "river",
  "book",
  "naïve",
  "café",
  "日本語",
  "Ελληνικά",
  "🎉",
  "👩‍💻",
  "&",
  "<3",
  '"quoted"',
  "it's",
  "x>y",
];
/** [as written, as Mastodon normalises it]. */
const HASHTAGS: readonly (readonly [string, string])[] = [
  ["Fediverse", "fediverse"],
  ["fediverse", "fediverse"],
  ["FEDIVERSE", "fediverse"],
  ["Café", "cafe"],
  ["cafe", "cafe"],
  ["ＭａｓｔｏＤｏｎ", "mastodon"],
  ["Mastodon", "mastodon"],
  ["日本", "日本"],
  ["Caturday", "caturday"],
  ["Ästhetik", "asthetik"],
  ["Straße", "strasse"],
  ["photo_graphy", "photo_graphy"],
  ["SilentSunday", "silentsunday"],
  ["ÉTÉ", "ete"],
];
const LANGUAGES: readonly (readonly [string | null, string, number])[] = [
  ["en", "en", 40],
  ["ja", "ja", 15],
  ["de", "de", 10],
  ["fr", "fr", 6],
  ["pt-BR", "pt", 5],
  ["EN", "en", 3],
  ["zh-Hant", "zh", 3],
  [null, "und", 8],
  ["english!", "und", 2],
  ["nl", "nl", 4],
];
const MEDIA_INDEX: Record<string, number> = { image: 0, gifv: 1, video: 2, audio: 3 };

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function codePoints(s: string): number {
  return Array.from(s).length;
}

function hex16(rng: Rng): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += "0123456789abcdef"[rng.int(0, 15)];
  return s;
}

interface Author {
  origin: string;
  canary: string;
  uri: string;
  discoverable: boolean | null;
  indexable: boolean | null;
  noteHtml: string;
  optedOut: boolean;
}

function makeAuthor(rng: Rng, origin: string): Author {
  const canary = `cnry${hex16(rng)}`;
  const r = rng.next();
  let discoverable: boolean | null = true;
  let indexable: boolean | null = true;
  let noteHtml = "<p>Posting about things.</p>";
  let optedOut = false;
  if (r < 0.04) [discoverable, optedOut] = [false, true];
  else if (r < 0.07) [indexable, optedOut] = [false, true];
  else if (r < 0.1) {
    noteHtml = `<p>No bots please <a href="https://${origin}/tags/nobot" class="mention hashtag" rel="tag">#<span>NoBot</span></a></p>`;
    optedOut = true;
  } else if (r < 0.12)
    noteHtml = `<p>I collect <a href="https://${origin}/tags/nobots" class="mention hashtag" rel="tag">#<span>nobots</span></a> and robots</p>`;
  else if (r < 0.15) [discoverable, indexable] = [null, null];
  return {
    origin,
    canary,
    uri: `https://${origin}/users/${canary}`,
    discoverable,
    indexable,
    noteHtml,
    optedOut,
  };
}

/** One generated text: its HTML, its plain-text length and its normalised hashtags. */
function makeText(
  rng: Rng,
  origin: string,
  canary: string,
): { html: string; length: number; tags: string[]; written: string[] } {
  if (rng.chance(0.05)) return { html: "", length: 0, tags: [], written: [] };
  const paragraphs: string[][] = [];
  const htmlParas: string[] = [];
  const tags = new Set<string>();
  const written: string[] = [];
  const nWords = Math.round(rng.logUniform(1, 420));
  const nParas = nWords > 40 ? rng.int(1, 3) : 1;
  let placedCanary = false;
  for (let p = 0; p < nParas; p++) {
    const lines: string[] = [];
    const htmlLines: string[] = [];
    const nLines = rng.chance(0.2) ? 2 : 1;
    for (let l = 0; l < nLines; l++) {
      const plain: string[] = [];
      const html: string[] = [];
      const count = Math.max(1, Math.round(nWords / nParas / nLines));
      for (let w = 0; w < count; w++) {
        const word = rng.pick(WORDS);
        plain.push(word);
        html.push(escapeHtml(word));
      }
      if (!placedCanary) {
        plain.push(canary);
        html.push(canary);
        placedCanary = true;
      }
      if (rng.chance(0.15)) {
        plain.push("@friend");
        html.push(
          `<span class="h-card"><a href="https://${origin}/@friend" class="u-url mention">@<span>friend</span></a></span>`,
        );
      }
      if (rng.chance(0.1)) {
        plain.push("https://example.com/some/long/path");
        html.push(
          '<a href="https://example.com/some/long/path" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/some/long</span><span class="invisible">/path</span></a>',
        );
      }
      if (rng.chance(0.35)) {
        const [w, norm] = rng.pick(HASHTAGS);
        plain.push(`#${w}`);
        html.push(
          `<a href="https://${origin}/tags/${encodeURIComponent(norm)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(w)}</span></a>`,
        );
        tags.add(norm);
        written.push(w);
      }
      lines.push(plain.join(" "));
      htmlLines.push(html.join(" "));
    }
    paragraphs.push(lines);
    htmlParas.push(`<p>${htmlLines.join("<br>")}</p>`);
  }
  const text = paragraphs.map((ls) => ls.join("\n")).join("\n\n");
  return { html: htmlParas.join(""), length: codePoints(text), tags: [...tags], written };
}

/**
 * Builds a deterministic plan: `count` statuses from `origins`, about `boostShare` of them boosts of
 * earlier posts. The same seed and options always give the same plan and the same JSON.
 */
export function planStatuses(opts: PlanOptions): StatusPlan {
  const rng = new Rng(`stream-plan:${String(opts.seed)}`);
  const pools = loadPools(opts.fixturesDir ?? defaultFixturesDir());
  const authorsPer = opts.authorsPerOrigin ?? 12;
  const authors = new Map<string, Author[]>();
  const authorRng = rng.fork("authors");
  for (const o of opts.origins)
    authors.set(
      o,
      Array.from({ length: authorsPer }, () => makeAuthor(authorRng, o)),
    );
  const items: PlannedStatus[] = [];
  const renders: (() => Record<string, unknown>)[] = [];
  const canaries = new Set<string>();
  const posts: number[] = [];
  const boostShare = opts.boostShare ?? 0.08;

  for (let index = 0; index < opts.count; index++) {
    const r = rng.fork(index);
    const origin = r.pick(opts.origins);
    const author = r.pick(authors.get(origin)!);
    const canary = `cnry${hex16(r)}`;
    canaries.add(canary);
    canaries.add(author.canary);
    const id = String(110_000_000_000_000_000n + BigInt(index) * 1000n + BigInt(r.int(0, 999)));
    const account = (): Record<string, unknown> => ({
      ...(structuredClone(r.pick(pools.statuses).account) as Record<string, unknown>),
      id: String(100_000 + index),
      username: `${author.canary}x${canary}`,
      acct: `${author.canary}x${canary}@${origin}`,
      display_name: `${canary} ${author.canary}`,
      uri: author.uri,
      url: `https://${origin}/@${author.canary}`,
      discoverable: author.discoverable,
      indexable: author.indexable,
      note: author.noteHtml,
      fields: [],
      emojis: [],
    });
    if (posts.length > 0 && r.chance(boostShare)) {
      const inner = r.pick(posts);
      const uri = `https://${origin}/users/${author.canary}/statuses/${id}/activity`;
      items.push({
        kind: "boost",
        index,
        uri,
        origin,
        boosterOptedOut: author.optedOut,
        inner,
        canaries: [canary, author.canary],
      });
      const template = r.pick(pools.statuses);
      const acc = account();
      renders.push(() => ({
        ...structuredClone(template),
        id,
        uri,
        url: `https://${origin}/users/${author.canary}/statuses/${id}/activity`,
        content: "",
        spoiler_text: "",
        media_attachments: [],
        tags: [],
        mentions: [],
        poll: null,
        card: null,
        in_reply_to_id: null,
        in_reply_to_account_id: null,
        account: acc,
        reblog: JSON.parse(plan.json(inner)) as unknown,
      }));
      continue;
    }
    const text = makeText(r, origin, canary);
    const mediaCount = r.chance(0.25) ? r.int(1, 4) : 0;
    const mediaByType: [number, number, number, number, number] = [0, 0, 0, 0, 0];
    const media: Record<string, unknown>[] = [];
    for (let m = 0; m < mediaCount; m++) {
      const a = structuredClone(r.pick(pools.attachments));
      if (r.chance(0.1)) a.type = r.pick(["unknown", "document"]);
      a.description = `picture ${canary}`;
      const slot = MEDIA_INDEX[String(a.type)] ?? 4;
      mediaByType[slot] = mediaByType[slot]! + 1;
      media.push(a);
    }
    const [langWritten, langNorm] = r.weighted(LANGUAGES.map((l) => [[l[0], l[1]] as const, l[2]] as const));
    const cw = r.chance(0.08);
    const sensitive = cw || r.chance(0.03);
    const reply = r.chance(0.2);
    const poll = r.chance(0.04) && pools.polls.length > 0;
    const vis = r.weighted<[string, TruthVisibility]>([
      [["public", "public"], 90],
      [["unlisted", "unlisted"], 7],
      [["local", "other"], 3],
    ]);
    const tagsOnly = r.chance(0.05);
    const tagList = text.written.map((w) => ({
      name: r.chance(0.5) ? w : w.toLowerCase(),
      url: `https://${origin}/tags/x`,
    }));
    const hashtags = [...text.tags];
    if (tagsOnly) {
      tagList.push({ name: "Hidden", url: `https://${origin}/tags/hidden` });
      if (!hashtags.includes("hidden")) hashtags.push("hidden");
    }
    const uri = `https://${origin}/users/${author.canary}/statuses/${id}`;
    const truth: PostTruth = {
      kind: "post",
      index,
      uri,
      origin,
      textLength: text.length,
      mediaByType,
      hashtags,
      language: langNorm,
      sensitive,
      contentWarning: cw,
      reply,
      poll,
      visibility: vis[1],
      authorKey: author.uri,
      optedOut: author.optedOut,
      canaries: [canary, author.canary],
    };
    items.push(truth);
    posts.push(index);
    const template = r.pick(pools.statuses);
    const pollJson = poll ? structuredClone(r.pick(pools.polls)) : null;
    if (pollJson)
      pollJson.options = [
        { title: `yes ${canary}`, votes_count: 1 },
        { title: "no", votes_count: 2 },
      ];
    const acc = account();
    renders.push(() => ({
      ...structuredClone(template),
      id,
      created_at: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString(),
      uri,
      url: `https://${origin}/@${author.canary}/${id}`,
      content: text.html,
      spoiler_text: cw ? `spoilers ${canary}` : "",
      sensitive,
      language: langWritten,
      visibility: vis[0],
      in_reply_to_id: reply ? String(109_000_000_000_000_000n + BigInt(index)) : null,
      in_reply_to_account_id: reply ? "12345" : null,
      media_attachments: media,
      tags: tagList,
      mentions: [],
      poll: pollJson,
      card: null,
      reblog: null,
      account: acc,
    }));
  }
  const cache = new Map<number, string>();
  const plan: StatusPlan = {
    items,
    canaries,
    json(index: number): string {
      let s = cache.get(index);
      if (s === undefined) {
        s = JSON.stringify(renders[index]!());
        cache.set(index, s);
      }
      return s;
    },
  };
  return plan;
}

/**
 * What fedimon must count when the statuses `delivered` (indexes) reached at least one listener:
 * each boost once by its URI unless its booster opted out; each post once by its URI (delivered
 * itself or inside a counted boost) unless its author opted out.
 */
export function countedTruth(
  plan: StatusPlan,
  delivered: Iterable<number>,
): { posts: PostTruth[]; boosts: BoostTruth[] } {
  const postIdx = new Set<number>();
  const boosts = new Map<number, BoostTruth>();
  for (const i of delivered) {
    const it = plan.items[i]!;
    if (it.kind === "post") postIdx.add(i);
    else if (!it.boosterOptedOut) {
      boosts.set(i, it);
      postIdx.add(it.inner);
    }
  }
  const posts = [...postIdx]
    .sort((a, b) => a - b)
    .map((i) => plan.items[i] as PostTruth)
    .filter((p) => !p.optedOut);
  return { posts, boosts: [...boosts.values()] };
}
