import type { Logger } from "../../core/log.js";
import { nullLogger } from "../../core/log.js";
import { networkTotals } from "../../stats/jobs.js";
import type { Totals } from "../../stats/types.js";
import {
  claimBotWeek,
  completeBotWeek,
  getBotPost,
  listChanges,
  releaseBotWeek,
} from "../queries/changes.js";
import type { StoredChange } from "../queries/changes.js";
import type { Db } from "../../db/db.js";
import { breakdown } from "../../stats/store/rollups.js";
import type { StatusPoster } from "./poster.js";

/**
 * The weekly summary posted to Mastodon as a bot account: the one write fedimon ever makes to a
 * remote server, and only to the operator's own configured account. The status says it is
 * automated (the account's bot flag is the operator's to set). At most one post per week, whatever
 * the number of processes (the week is claimed in the store before posting).
 */

/** Where and how to post. */
export interface BotOptions {
  /** The Mastodon server of the bot account, e.g. `https://bots.example`. */
  serverUrl: string;
  /** An access token of the bot account with the `write:statuses` scope. */
  accessToken: string;
  /** Default `unlisted` (visible to followers and on the profile, not on public timelines). */
  visibility?: "public" | "unlisted";
  /** The instance's public URL, linked from the post. Default none. */
  publicUrl?: string | null;
}

/** Mastodon's default status length. */
export const MAX_STATUS_CHARS = 500;
const DAY = 86_400_000;

/** Monday (UTC) of the week holding `at`, as `YYYY-MM-DD`. */
export function weekStart(at: Date): string {
  const day = Math.floor(at.getTime() / DAY) * DAY;
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  return new Date(day - weekday * DAY).toISOString().slice(0, 10);
}

const fmt = (n: number): string => n.toLocaleString("en-US");

async function totalsAt(
  db: Db,
  at: Date,
): Promise<{ totals: Totals; software: (Totals & { key: string })[] } | null> {
  const none = await breakdown(db, { resolution: "day", dimension: "none", at });
  const row = none[0];
  if (row && at.getTime() - row.at.getTime() <= 3 * DAY) {
    return {
      totals: row,
      software: await breakdown(db, { resolution: "day", dimension: "software", at: row.at }),
    };
  }
  return null;
}

function changeLine(kind: string, n: number): string | null {
  if (n === 0) return null;
  const names: Record<string, [string, string]> = {
    release: ["release", "releases"],
    advisory: ["security advisory", "security advisories"],
    adoption_milestone: ["adoption milestone", "adoption milestones"],
    server_appeared: ["new large server", "new large servers"],
    server_dark: ["large server went dark", "large servers went dark"],
    misreport_flag: ["misreport flag", "misreport flags"],
  };
  const [one, many] = names[kind] ?? [kind, kind];
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Composes the week's status (at most 500 characters): counted servers and users with the change
 * on the week, the software mix, and the week's notable changes.
 */
export async function composeWeeklySummary(
  db: Db,
  now: Date,
  opts: { publicUrl?: string | null } = {},
): Promise<string> {
  const cur = await totalsAt(db, now);
  const prev = await totalsAt(db, new Date(now.getTime() - 7 * DAY));
  const totals = cur?.totals ?? (await networkTotals(db, now)).totals;
  const changes: StoredChange[] = await listChanges(db, {
    since: new Date(now.getTime() - 7 * DAY),
    limit: 200,
  });
  const head = ["🤖 fedimon weekly summary (automated post)", ""];
  let servers = `Servers: ${fmt(totals.servers)}`;
  if (prev && prev.totals.servers > 0) {
    const pct = ((totals.servers - prev.totals.servers) / prev.totals.servers) * 100;
    servers += ` (${pct >= 0 ? "+" : ""}${pct.toFixed(1)}% on the week)`;
  }
  head.push(`${servers} · users: ${fmt(totals.users)} · monthly active: ${fmt(totals.usersActiveMonth)}`);
  if (cur && totals.servers > 0) {
    const top = [...cur.software]
      .sort((a, b) => b.servers - a.servers)
      .slice(0, 3)
      .map((s) => `${s.key} ${Math.round((100 * s.servers) / totals.servers)}%`);
    if (top.length) head.push(`Software: ${top.join(", ")}`);
  }
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const summary = [...counts.entries()]
    .map(([k, n]) => changeLine(k, n))
    .filter((s): s is string => s !== null);
  head.push(summary.length ? `This week: ${summary.join(", ")}` : "This week: no notable changes");
  const tail = opts.publicUrl ? ["", `Open data (CC0): ${opts.publicUrl}`] : [];
  const bullets = changes.filter((c) => c.kind !== "misreport_flag").map((c) => `• ${c.title}`);
  let lines = [...head, ...bullets, ...tail];
  while (lines.join("\n").length > MAX_STATUS_CHARS && bullets.length > 0) {
    bullets.pop();
    lines = [...head, ...bullets, ...tail];
  }
  const text = lines.join("\n");
  return text.length > MAX_STATUS_CHARS ? `${text.slice(0, MAX_STATUS_CHARS - 1)}…` : text;
}

/** What a posting attempt did. */
export interface PostResult {
  week: string;
  posted: boolean;
  /** Why nothing was posted (already posted this week, another process is posting). */
  reason: string | null;
  statusUrl: string | null;
  text: string | null;
}

/**
 * Posts this week's summary unless this week's post was made: claims the week, composes, posts
 * (with an Idempotency-Key, so a retried request cannot post twice), records the status. A failed
 * post gives the claim back and throws.
 */
export async function postWeeklySummary(deps: {
  db: Db;
  now: Date;
  bot: BotOptions;
  /** How to post (`createHttpStatusPoster({ config })`: through net/'s address rules). */
  poster: StatusPoster;
  logger?: Logger;
}): Promise<PostResult> {
  const { db, now, bot } = deps;
  const log = deps.logger ?? nullLogger;
  const week = weekStart(now);
  const existing = await getBotPost(db, week);
  if (existing?.statusId !== undefined && existing.statusId !== null) {
    return {
      week,
      posted: false,
      reason: "already posted this week",
      statusUrl: existing.statusUrl,
      text: null,
    };
  }
  if (!(await claimBotWeek(db, week, now, new Date(now.getTime() - 3_600_000)))) {
    return {
      week,
      posted: false,
      reason: "another process is posting this week's summary",
      statusUrl: null,
      text: null,
    };
  }
  try {
    const text = await composeWeeklySummary(db, now, { publicUrl: bot.publicUrl ?? null });
    const status = await deps.poster.post({
      serverUrl: bot.serverUrl,
      accessToken: bot.accessToken,
      idempotencyKey: `fedimon-weekly-${week}`,
      status: { status: text, visibility: bot.visibility ?? "unlisted", language: "en" },
    });
    await completeBotWeek(db, week, { statusId: status.id, statusUrl: status.url });
    log.info("weekly summary posted", { week, url: status.url });
    return { week, posted: true, reason: null, statusUrl: status.url, text };
  } catch (err) {
    await releaseBotWeek(db, week);
    throw err;
  }
}
