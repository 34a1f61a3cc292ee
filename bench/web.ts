/**
 * `npm run bench -- web [--size small|full] [--runs N]`: how fast the dashboard's overview shows up
 * in Debian's Chromium on loopback, served by the API from a fresh build of web/, on an embedded
 * store filled with a realistic population (50,000 servers for `full`, 2,000 for `small`; see
 * test/api-fixture.ts). Measured per page load, from navigation start: first contentful paint (the
 * shell) and "rendered" (the overview's figures on screen: the `fedimon:rendered` mark the app sets
 * after its first view). The first load is cold (empty browser cache, empty API response cache);
 * the next ones reload with the API's cache cold every other time. Aim: the overview rendered in
 * under 1 s. Also timed once: the directory's first page and the map.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { BrowserContext } from "playwright-core";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import { analyzeApiTables } from "../src/api/queries/figures.js";
import { openDb } from "../src/db/open.js";
import { startTestApi } from "../test/api-harness.js";
import { fillStore } from "../test/api-fixture.js";
import { buildWeb, launchChromium } from "../test/helpers/chromium.js";

interface Load {
  firstContentfulPaintMillis: number | null;
  renderedMillis: number | null;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!);
};

/** Loads a view in a new page and reads its paint and "rendered" marks. */
async function load(context: BrowserContext, url: string, ready: string): Promise<Load> {
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.locator(ready).first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => performance.getEntriesByName("fedimon:rendered").length > 0);
    const t = (await page.evaluate(`({
      fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
      rendered: performance.getEntriesByName("fedimon:rendered")[0]?.startTime ?? null,
    })`)) as { fcp: number | null; rendered: number | null };
    const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
    return { firstContentfulPaintMillis: round(t.fcp), renderedMillis: round(t.rendered) };
  } finally {
    await page.close();
  }
}

export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: opts.args,
    strict: false,
    options: { servers: { type: "string" }, runs: { type: "string" } },
  });
  const servers = Number(values.servers ?? (opts.size === "full" ? 50_000 : 2_000));
  const runs = Number(values.runs ?? 6);
  const dir = mkdtempSync(join(tmpdir(), "fedimon-bench-web-"));
  const webDir = join(dir, "web");
  const db = await openDb("memory://");
  try {
    const t0 = performance.now();
    await buildWeb(webDir);
    const buildMillis = Math.round(performance.now() - t0);
    console.log(`dashboard built in ${buildMillis} ms; filling ${servers} servers ...`);
    const filled = await fillStore(db, { servers, days: 1, pollsPerDay: 2, light: true });
    console.log(`filled in ${Math.round(filled.millis)} ms`);
    await analyzeApiTables(db);
    const clock = new ManualClock(filled.now);
    // Two servers on one store: one whose response cache stays warm, one that never caches.
    const api = await startTestApi(db, clock, { webDir, rateLimitPerMinute: 0 }, nullLogger);
    const uncached = await startTestApi(
      db,
      clock,
      { webDir, rateLimitPerMinute: 0, cache: false },
      nullLogger,
    );
    const context = await launchChromium(dir);
    try {
      const overview = "#headline .stat-value";
      const cold = await load(context, `${api.url}/#/`, overview);
      console.log("cold", JSON.stringify(cold));
      const warm: Load[] = [];
      const apiCold: Load[] = [];
      for (let i = 0; i < runs; i++) {
        const l = await load(context, `${(i % 2 ? uncached : api).url}/#/`, overview);
        (i % 2 ? apiCold : warm).push(l);
        console.log(i % 2 ? "uncached API" : "warm", JSON.stringify(l));
      }
      const directory = await load(context, `${api.url}/#/directory`, "#servers tbody tr td a");
      const map = await load(context, `${api.url}/#/map`, "svg.map path.has-data");
      const renderedAll = [cold, ...warm, ...apiCold].map((l) => l.renderedMillis ?? Infinity);
      return {
        servers,
        store: "pglite (memory)",
        browser: "Debian chromium, headless, via playwright-core",
        fillMillis: Math.round(filled.millis),
        buildMillis,
        cpus: cpus().length,
        loadavgAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
        aim: "overview rendered (figures on screen) in under 1,000 ms from navigation start",
        meetsAim: Math.max(...renderedAll) < 1000,
        overview: {
          cold,
          warmBrowserWarmApi: {
            firstContentfulPaintMillis: median(warm.map((l) => l.firstContentfulPaintMillis ?? NaN)),
            renderedMillis: median(warm.map((l) => l.renderedMillis ?? NaN)),
            runs: warm,
          },
          warmBrowserUncachedApi: {
            firstContentfulPaintMillis: median(apiCold.map((l) => l.firstContentfulPaintMillis ?? NaN)),
            renderedMillis: median(apiCold.map((l) => l.renderedMillis ?? NaN)),
            runs: apiCold,
          },
        },
        directoryFirstPage: directory,
        map,
      };
    } finally {
      await context.close();
      await api.close();
      await uncached.close();
    }
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
