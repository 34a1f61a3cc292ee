import { sleep } from "../core/clock.js";
import type { Fetcher, HttpResult } from "../net/index.js";
import { BoundedQueue } from "./bounded-queue.js";
import {
  ConnectionShell,
  endForStatus,
  ending,
  type ConnectionEnd,
  type OpenResult,
  type RawMessage,
} from "./connection.js";
import type { TimelineScope } from "./transport-websocket.js";

/** Polling parameters. */
export interface PollOptions {
  /** Pause between polls once caught up. */
  pollIntervalMillis: number;
  /** Cap on one timeline page's body. */
  maxBodyBytes: number;
  maxQueueBytes: number;
  /** Statuses asked for per page (Mastodon's maximum is 40). */
  pageLimit?: number;
  /** Pages fetched back to back when a page comes back full, before pausing. */
  maxCatchUpPages?: number;
}

const ID_RE = /^[0-9A-Za-z_-]{1,64}$/;

/** Orders status ids as Mastodon (numeric strings) and Pleroma (fixed-width flake ids) sort them. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The timeline URL: `since_id` for every server, `min_id` too so servers that know it page forward without gaps. */
export function timelineUrl(
  host: string,
  scope: TimelineScope,
  cursor: string | null,
  limit: number,
): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (scope === "public:local") q.set("local", "true");
  if (cursor !== null) {
    q.set("since_id", cursor);
    q.set("min_id", cursor);
  }
  return `https://${host}/api/v1/timelines/public?${q.toString()}`;
}

type Page =
  | { ok: true; statuses: { id: string | null; json: unknown }[]; bytes: number }
  | { ok: false; end: ConnectionEnd };

/** Reads one timeline page from a fetch result (never throws). */
export function readTimelinePage(r: HttpResult, limit: number): Page {
  if (!r.ok) {
    return {
      ok: false,
      end: ending(r.outcome, r.detail, {
        httpStatus: r.status,
        retryAfterMillis: r.retryAfterMillis,
        unsupported: r.outcome === "auth_required" || r.outcome === "robots_disallow",
      }),
    };
  }
  if (r.status !== 200) return { ok: false, end: endForStatus(r.status, r.retryAfterMillis ?? null) };
  let body: unknown;
  try {
    body = JSON.parse(r.body.toString("utf8"));
  } catch {
    return { ok: false, end: ending("malformed", "timeline is not JSON") };
  }
  if (!Array.isArray(body)) return { ok: false, end: ending("malformed", "timeline is not a list") };
  const statuses = body.slice(0, limit * 2).map((json: unknown) => {
    const id = typeof json === "object" && json !== null ? (json as { id?: unknown }).id : undefined;
    return { id: typeof id === "string" && ID_RE.test(id) ? id : null, json };
  });
  return { ok: true, statuses, bytes: r.body.length };
}

/**
 * Polls `/api/v1/timelines/public` through the Fetcher (robots.txt checked, SSRF guard, size and
 * time caps, one request per host at a time), for servers that allow no anonymous streaming.
 * Resolves after the first page: a connection whose messages are the statuses, oldest first, or
 * why polling does not work. Statuses already seen (ids at or below the cursor) are not repeated.
 */
export async function openPoll(
  host: string,
  scope: TimelineScope,
  fetcher: Fetcher,
  opts: PollOptions,
  signal: AbortSignal,
): Promise<OpenResult> {
  const limit = opts.pageLimit ?? 40;
  const maxPages = opts.maxCatchUpPages ?? 5;
  let cursor: string | null = null;
  let resume: (() => void) | null = null;
  const queue = new BoundedQueue<RawMessage>({
    maxBytes: opts.maxQueueBytes,
    onResume: () => {
      const r = resume;
      resume = null;
      r?.();
    },
  });
  const shell = new ConnectionShell(queue, 2 ** 31 - 1, () => undefined);
  const controller = new AbortController();
  const both = AbortSignal.any([signal, controller.signal]);

  const fetchPage = async (): Promise<Page> => {
    const r = await fetcher.request({
      url: timelineUrl(host, scope, cursor, limit),
      headers: { accept: "application/json" },
      maxBodyBytes: opts.maxBodyBytes,
      followRedirects: false,
      signal: both,
    });
    return readTimelinePage(r, limit);
  };
  const deliver = (page: Extract<Page, { ok: true }>): number => {
    const fresh = page.statuses
      .filter((s) => s.id !== null && (cursor === null || compareIds(s.id, cursor) > 0))
      .sort((a, b) => compareIds(a.id!, b.id!));
    const per = Math.max(64, Math.ceil(page.bytes / Math.max(1, page.statuses.length)));
    for (const s of fresh) queue.push({ kind: "json", json: s.json }, per);
    const last = fresh[fresh.length - 1];
    if (last?.id) cursor = last.id;
    return fresh.length;
  };

  const first = await fetchPage();
  if (!first.ok) return { ok: false, end: first.end };
  deliver(first);

  const loop = async (): Promise<void> => {
    let pages = 1;
    let lastCount = first.statuses.length;
    while (!both.aborted) {
      if (lastCount < limit || pages >= maxPages) {
        pages = 0;
        await sleep(opts.pollIntervalMillis, both);
      }
      if (queue.queuedBytes >= queue.maxBytes / 2) await new Promise<void>((r) => (resume = r));
      if (both.aborted) break;
      const page = await fetchPage();
      if (!page.ok) {
        shell.finish(both.aborted ? ending("closed", "stopped") : page.end);
        return;
      }
      lastCount = page.statuses.length;
      deliver(page);
      pages++;
    }
    shell.finish(ending("closed", "stopped"));
  };
  void loop();

  const connection = shell.connection("poll", () => {
    controller.abort();
    resume?.();
  });
  return { ok: true, connection };
}
