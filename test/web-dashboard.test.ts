/**
 * The web dashboard in a real browser: Debian's Chromium driven by playwright-core (never a browser
 * download) against the API serving a fresh build of web/, on a store filled by a simulated crawl
 * (test/api-fixture.ts: ten days of hourly-polled servers, rollups, releases, advisories, HTTPS
 * grades, stream counters). Every page must render data with no console error; the map colours
 * countries; the directory's filters and sorting change the listing; a server page shows its
 * history and deductions; axe-core finds no serious or critical violation. Each test saves a
 * screenshot into .test-results/screenshots/. Run inside scripts/loopback-only.sh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.js";
import type { Db } from "../src/db/db.js";
import { testBackends } from "../src/db/testing.js";
import { fillStore, type Filled } from "./api-fixture.js";
import { startTestApi, type TestApi } from "./api-harness.js";
import { buildWeb, CHROMIUM, launchChromium } from "./helpers/chromium.js";

const SHOTS = ".test-results/screenshots";
const require = createRequire(import.meta.url);

const PAGES: { path: string; heading: string; expect: string }[] = [
  { path: "/", heading: "The fediverse at a glance", expect: "#headline .stat-value" },
  { path: "/growth", heading: "Growth", expect: ".chart canvas" },
  { path: "/software", heading: "Software", expect: ".bars li" },
  { path: "/map", heading: "Map", expect: "svg.map path.has-data" },
  { path: "/hosting", heading: "Hosting", expect: ".bars li" },
  { path: "/security", heading: "Security", expect: "table tbody tr td code" },
  { path: "/activity", heading: "Activity", expect: ".chart canvas" },
  { path: "/releases", heading: "Releases", expect: ".timeline li" },
  { path: "/directory", heading: "Directory", expect: "#servers tbody tr td a" },
  { path: "/about", heading: "About fedimon", expect: "table tbody tr" },
];

describe.skipIf(!existsSync(CHROMIUM))("web dashboard in Chromium", () => {
  let db: Db;
  let dispose: () => Promise<void>;
  let filled: Filled;
  let api: TestApi;
  let context: BrowserContext;
  let dir: string;
  const errors: string[] = [];
  const clock = new ManualClock();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "fedimon-web-"));
    mkdirSync(SHOTS, { recursive: true });
    const webDir = join(dir, "web");
    const [store] = await Promise.all([testBackends()[0]!.open(), buildWeb(webDir)]);
    ({ db, dispose } = store);
    filled = await fillStore(db, { servers: 200, days: 8 });
    clock.set(filled.now);
    api = await startTestApi(db, clock, { webDir, simulated: true });
    context = await launchChromium(dir);
  });
  afterAll(async () => {
    await context?.close();
    await api?.close();
    await dispose?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a view and waits until it has rendered (the app counts its ranges back from the API's "now"). */
  async function open(view: string, waitFor: string): Promise<Page> {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`${view}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`${view}: ${e.message}`));
    await page.goto(`${api.url}/#${view}`);
    await page.locator(waitFor).first().waitFor({ timeout: 15_000 });
    await page.locator("main:not([aria-busy])").waitFor();
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function axe(page: Page): Promise<string[]> {
    await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
    // A string, run in the page (this file is compiled without the DOM's types).
    const serious = await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then((r) =>
      r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")))`);
    return serious as string[];
  }

  it("renders every page with data, the simulated label, no console error and no serious accessibility violation", async () => {
    const violations: string[] = [];
    for (const p of PAGES) {
      const page = await open(p.path, p.expect);
      expect(await page.locator("h1").first().textContent(), p.path).toBe(p.heading);
      expect(await page.locator("#banner").textContent(), p.path).toContain("Simulated data");
      expect(await page.locator(p.expect).count(), p.path).toBeGreaterThan(0);
      expect(await page.locator("main").textContent(), p.path).not.toMatch(/NaN|undefined|\[object/);
      violations.push(...(await axe(page)).map((v) => `${p.path}: ${v}`));
      await shot(page, p.path === "/" ? "overview" : p.path.slice(1));
      await page.close();
    }
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows the overview's headline numbers as the API gives them, in light and dark themes", async () => {
    const summary = (await (await fetch(`${api.url}/api/v1/summary`)).json()) as {
      servers: { total: number };
    };
    const page = await open("/", "#headline .stat-value");
    // Keyboard: the first Tab reaches the skip link, which moves focus to the content and keeps the view.
    const url = page.url();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.className")).toBe("skip");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement.id")).toBe("main");
    expect(page.url()).toBe(url);
    expect(await page.locator("h1").first().textContent()).toBe("The fediverse at a glance");
    const first = await page.locator("#headline .stat-value").first().textContent();
    expect(first).toBe(summary.servers.total.toLocaleString("en"));
    expect(summary.servers.total).toBeGreaterThan(100);
    // The README's pictures: the first screen, at a smaller size.
    await page.setViewportSize({ width: 1000, height: 720 });
    await page.screenshot({ path: join(SHOTS, "readme-overview.png") });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole("button", { name: /theme/i }).click();
    const dark = await page.evaluate("document.documentElement.dataset.theme");
    await page.locator("#headline .stat-value").first().waitFor();
    expect(dark).toBe(
      (await page.evaluate('matchMedia("(prefers-color-scheme: dark)").matches')) ? "light" : "dark",
    );
    expect(await axe(page)).toEqual([]);
    await shot(page, `overview-${dark}`);
    await page.getByRole("button", { name: /theme/i }).click();
    // A phone: the menu button opens the navigation.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole("button", { name: "Menu" }).click();
    expect(await page.getByRole("link", { name: "Directory" }).isVisible()).toBe(true);
    await shot(page, "overview-phone");
    await page.close();
    expect(errors).toEqual([]);
  });

  it("colours countries on the map and switches the figure from the URL", async () => {
    const page = await open("/map?metric=users", "svg.map path.has-data");
    const coloured = await page.locator("svg.map path.has-data").count();
    expect(coloured).toBeGreaterThan(3);
    // The colours as painted (a stylesheet rule must not override the scale), against the land's.
    const painted = await page.locator("svg.map path").evaluateAll((els) =>
      els.map((e) => ({
        data: e.classList.contains("has-data"),
        fill: (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(
          e,
        ).fill,
      })),
    );
    const land = new Set(painted.filter((p) => !p.data).map((p) => p.fill));
    const scale = new Set(painted.filter((p) => p.data).map((p) => p.fill));
    expect(scale.size).toBeGreaterThan(1);
    for (const f of scale) expect(land.has(f)).toBe(false);
    expect(await page.getByRole("button", { name: "Users" }).getAttribute("aria-pressed")).toBe("true");
    await shot(page, "map-users");
    // The dark theme has its own scale, and the same accessibility.
    await page.getByRole("button", { name: /theme/i }).click();
    await page.locator("svg.map path.has-data").first().waitFor();
    expect(await axe(page)).toEqual([]);
    await shot(page, "map-dark");
    await page.getByRole("button", { name: /theme/i }).click();
    await page.locator("svg.map path.has-data").first().waitFor();
    await page.setViewportSize({ width: 1000, height: 640 });
    await page.screenshot({ path: join(SHOTS, "readme-map.png") });
    await page.close();
  });

  it("filters, sorts and pages the directory on the server side, by keyboard", async () => {
    const page = await open("/directory", "#servers tbody tr td a");
    const count = async (): Promise<string> => (await page.locator("#result-count").textContent()) ?? "";
    const firstDomain = async (): Promise<string> =>
      (await page.locator("#servers tbody tr td a").first().textContent()) ?? "";
    const all = await count();
    const byUsers = await firstDomain();

    await page.locator('select[name="software"]').selectOption("mastodon");
    await expect.poll(count, { timeout: 10_000 }).not.toBe(all);
    const mastodon = await count();
    expect(mastodon).not.toBe(all);
    expect(page.url()).toContain("software=mastodon");
    const softwareCells = await page.locator("#servers tbody tr td:nth-child(2)").allTextContents();
    expect(softwareCells.every((t) => t.startsWith("mastodon"))).toBe(true);

    // Sort by domain with the keyboard: the column header is a button.
    await page.getByRole("button", { name: /^Domain/ }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/sort=domain/);
    // The URL changes at once; the table is drawn again when the API has answered: wait for it.
    await page.locator('th[aria-sort="ascending"]', { hasText: "Domain" }).waitFor();
    const domains = await page.locator("#servers tbody tr td:first-child a").allTextContents();
    expect(domains).toEqual([...domains].sort());
    expect(domains[0]).not.toBe(byUsers);

    // The next page comes from the API's cursor.
    await page.getByRole("button", { name: "Next page" }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(count, { timeout: 10_000 }).toMatch(/Page 2/);
    const second = await page.locator("#servers tbody tr td:first-child a").allTextContents();
    expect(second[0]! > domains.at(-1)!).toBe(true);

    // The flagged list (the overview links to it) with the reasons.
    await page.goto(`${api.url}/#/directory?flagged=true`);
    await expect.poll(count, { timeout: 10_000 }).toMatch(/misreporting/);
    expect(await count()).not.toMatch(/^0 servers/);
    // Each flagged server with its rule and reason.
    expect(await page.locator("#servers tbody tr td:last-child").first().textContent()).toMatch(
      /^[a-z_]+: \S/,
    );
    await shot(page, "directory-flagged");
    await page.close();
    expect(errors).toEqual([]);
  });

  it("shows a server's history, outcome and HTTPS deductions with how to fix them", async () => {
    const list = (await (
      await fetch(`${api.url}/api/v1/servers?https_grade=C&sort=users&limit=1`)
    ).json()) as { items: { domain: string }[] };
    const domain = list.items[0]?.domain ?? filled.sample;
    const page = await open(`/servers/${domain}`, ".chart canvas");
    expect(await page.locator("h1").textContent()).toBe(domain);
    expect(await page.locator(".chart canvas").count()).toBeGreaterThanOrEqual(2);
    const deductions = page.locator("table", { has: page.locator("caption", { hasText: "Deductions" }) });
    expect(await deductions.locator("tbody tr").count()).toBeGreaterThan(0);
    expect(await deductions.textContent()).toMatch(/Send|Enable|Disable|Redirect|Renew|Raise|Add/);
    expect(await page.locator("main").textContent()).toContain("Outcome");
    // Every check with its outcome, reason and times, as the API gives them; then the recent polls.
    const checks = (await (await fetch(`${api.url}/api/v1/servers/${domain}/checks`)).json()) as {
      checks: { name: string; outcome: string | null; state: string; reason: string }[];
      recent: { outcome: string; reason: string }[];
    };
    const rows = page.locator("#checks tbody tr");
    expect(await rows.count()).toBe(checks.checks.length);
    for (const [i, c] of checks.checks.entries()) {
      const cells = await rows.nth(i).locator("td").allTextContents();
      expect(cells.slice(0, 3)).toEqual([c.name, c.outcome ?? c.state, c.reason]);
      expect(cells[3]).not.toBe("");
    }
    expect(await rows.first().locator("td").nth(3).textContent()).toMatch(/ago|just now/);
    expect(await rows.first().locator("td").nth(4).textContent()).toMatch(/^\d{4}-.*\((in |now)/);
    const polls = page.locator("#recent-polls tbody tr");
    expect(checks.recent.length).toBeGreaterThan(3);
    expect(await polls.count()).toBe(checks.recent.length);
    expect(await polls.first().locator("td").nth(1).textContent()).toBe(checks.recent[0]!.outcome);
    expect(await polls.first().locator("td").nth(2).textContent()).toBe(checks.recent[0]!.reason);
    expect(await axe(page)).toEqual([]);
    await shot(page, "server");
    await page.locator("#checks").screenshot({ path: join(SHOTS, "server-checks.png") });
    await page.close();
    expect(errors).toEqual([]);
  });

  it("charts patch adoption per branch over time on the software page, with its table and the share in the URL", async () => {
    const hist = (await (
      await fetch(`${api.url}/api/v1/patch-adoption/history?software=mastodon`)
    ).json()) as {
      branches: { software: string; branch: string; points: { latestShare: number | null }[] }[];
    };
    const shown = hist.branches.filter((b) => b.points.length > 0);
    expect(shown.length).toBeGreaterThan(1);
    const page = await open("/software?software=mastodon", "#patch-history .chart canvas");
    const figure = page.locator("#patch-history figure");
    expect(await figure.locator("figcaption").textContent()).toMatch(/on its latest patch/);
    // The chart's data table: one row per day, one column per branch with a share.
    const head = await figure.locator("details thead th").allTextContents();
    expect(head.slice(1).sort()).toEqual(
      hist.branches
        .filter((b) => b.points.some((p) => p.latestShare !== null))
        .slice(0, 8)
        .map((b) => `${b.software} ${b.branch}`)
        .sort(),
    );
    expect(await figure.locator("details tbody tr").count()).toBeGreaterThan(1);
    expect(await figure.locator("details tbody").textContent()).toMatch(/\d+\.\d%/);
    expect(await figure.locator(".chart").getAttribute("aria-label")).toMatch(/%/);
    // The other share, from the toggle, lands in the URL.
    await page.getByRole("button", { name: "Not affected by an advisory" }).click();
    await page.waitForURL(/share=unaffected/);
    await page.locator("#patch-history figcaption", { hasText: "not affected" }).waitFor();
    expect(await axe(page)).toEqual([]);
    await shot(page, "software-patch-history");
    await page.locator("#patch-history").screenshot({ path: join(SHOTS, "patch-history.png") });
    await page.close();
    expect(errors).toEqual([]);
  });
});
