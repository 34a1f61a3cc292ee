/**
 * Misreporting servers, end to end: a simulated fediverse where one server reports more monthly
 * active users than users (10,000,000 users, 50,000,000 monthly active), one jumps to an impossible
 * user count between two passes, and one is on the operator's known-fake list. Crawled twice with
 * `crawl --once` through the CLI's own composition (`composeApp` + `composeCrawler`) on an injected
 * clock (yesterday 22:30, then 00:30), each must be flagged with its reason from the answer that
 * shows it, in `fedimon server D --json` and `/api/v1/servers/D`, and no summary figure or
 * breakdown may include it: not the live totals, not the daily and hourly rollups (history, dumps),
 * not the software, country, network, HTTPS and version breakdowns. Inside the loopback-only
 * namespace:
 *   sh scripts/loopback-only.sh npx vitest run test/misreport-crawl.test.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { serverCommand } from "../src/cli/commands/server.js";
import { composeApp, composeCrawler, type App } from "../src/cli/compose.js";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import { rollupDay, rollupHour } from "../src/stats/index.js";
import { ServerStore, type ServerRecord } from "../src/crawl/store/index.js";
import { request, startTestApi, type TestApi } from "./api-harness.js";
import { allServers, simConfig } from "./helpers/crawl-sim.js";

const SERVERS = 60;
/** A population whose only GoToSocial server (robots.txt `Crawl-delay: 500`) is down: passes stay short. */
const SEED = "api-contract";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Flag {
  rule: string;
  reason: string;
  since: string;
  cleared: boolean;
  note?: string | null;
}
interface Detail {
  flagged: boolean;
  flags: Flag[];
  users: { total: number | null; activeMonth: number | null };
  reported: { usersTotal: number | null; usersActiveMonth: number | null } | null;
}
interface Summary {
  source: string;
  servers: { total: number; flagged: number; bySoftware: { servers: number; users: number }[] };
  users: { total: number; activeMonth: number };
}

describe("servers that misreport, through a simulated crawl, the API and the CLI", () => {
  let sim: Sim;
  let app: App | null = null;
  let api: TestApi | null = null;
  let dir: string;
  let stored: ServerRecord[];
  let mau: string;
  let jump: string;
  let fake: string;
  /** Misreports too, but the operator's override file clears its flag. */
  let vouched: string;
  let jumpFrom: number;
  let jumpTo: number;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const clock = new ManualClock(today - 90 * 60_000);
  const apiNow = new Date(today + 65 * 60_000);
  const get = async <T>(path: string): Promise<T> => {
    const r = await request(`${api!.url}${path}`);
    expect(r.status, `${path}: ${r.text.slice(0, 300)}`).toBe(200);
    return r.json<T>();
  };

  beforeAll(async () => {
    sim = await startSim({ servers: SERVERS, seed: SEED, geoDatabases: true });
    dir = mkdtempSync(join(tmpdir(), "fedimon-misreport-"));
    const healthy = [...sim.reachableFromSeed()]
      .filter(
        (d) =>
          d !== sim.seedDomain &&
          sim.faultOf(d) === null &&
          sim.expected(d)?.outcome === "ok" &&
          sim.expected(d)?.software?.name === "mastodon" &&
          (sim.expected(d)?.usersActiveMonth ?? null) !== null,
      )
      .sort();
    [mau, jump, fake, vouched] = [healthy[0]!, healthy[1]!, healthy[2]!, healthy[3]!];
    jumpFrom = sim.expected(jump)!.usersTotal!;
    jumpTo = jumpFrom * 40 + 20_000;
    writeFileSync(join(dir, "known-fake.txt"), `# test list\n${fake}  # sells followers\n`);
    writeFileSync(
      join(dir, "overrides.csv"),
      `domain,clear,note\n${vouched},mau_above_total,"counts bots, confirmed with the admin"\n`,
    );
    sim.misreport(vouched, { usersTotal: 1_000, usersActiveMonth: 2_000 });
    // The first server misreports from the start; the second is honest on the first pass.
    sim.misreport(mau, { usersTotal: 10_000_000, usersActiveMonth: 50_000_000 });
    const config = simConfig(sim, {
      db: join(dir, "db"),
      geoipDb: sim.geoipDbFile,
      asnDb: sim.asnDbFile,
      knownFake: join(dir, "known-fake.txt"),
      misreportOverrides: join(dir, "overrides.csv"),
      // Far above the simulation's 5-50 ms latency; short, so a pass waits little for the servers
      // that trickle or never answer.
      connectTimeoutMillis: 2_000,
      firstByteTimeoutMillis: 3_000,
      idleTimeoutMillis: 3_000,
      totalTimeoutMillis: 4_000,
    });
    app = await composeApp(config, { logger: nullLogger, clock });
    const crawler = await composeCrawler(app, "misreport-crawl");
    await crawler.runOnce();
    clock.advance(2 * HOUR);
    sim.misreport(jump, { usersTotal: jumpTo });
    await crawler.runOnce();
    stored = await allServers(new ServerStore(app.db));
    clock.set(apiNow);
    // Uncached, so each test reads what the statistics jobs just wrote.
    api = await startTestApi(app.db, clock, { cache: false });
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await app?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Servers that answered within the carry window, less those the API lists as flagged. */
  async function counted(): Promise<{ flagged: Set<string>; users: number; reportedUsers: number }> {
    const page = await get<{ items: { domain: string; flagged: boolean }[] }>(
      "/api/v1/servers?sort=domain&limit=200&outcome=ok",
    );
    const flagged = new Set(page.items.filter((i) => i.flagged).map((i) => i.domain));
    const answered = stored.filter(
      (s) => s.lastSeenUpAt !== null && apiNow.getTime() - s.lastSeenUpAt.getTime() <= 72 * HOUR,
    );
    const sum = (list: ServerRecord[]) => list.reduce((a, s) => a + (s.usersTotal ?? 0), 0);
    return {
      flagged,
      users: sum(answered.filter((s) => !flagged.has(s.domain))),
      reportedUsers: sum(answered),
    };
  }

  it("flags each with its reason from the answer that shows it, in the API and beside what was reported", async () => {
    const detail = (d: string) => get<Detail>(`/api/v1/servers/${d}`);
    const a = await detail(mau);
    expect(a.flagged).toBe(true);
    expect(a.flags.map((f) => [f.rule, f.reason, f.cleared])).toContainEqual([
      "mau_above_total",
      "Reports 50,000,000 monthly active users but only 10,000,000 users in total.",
      false,
    ]);
    // Kept: the total; the impossible monthly figure is null, and kept as reported beside it.
    expect(a.users).toMatchObject({ total: 10_000_000, activeMonth: null });
    expect(a.reported).toMatchObject({ usersActiveMonth: 50_000_000, usersTotal: null });
    // Flagged from the first pass's answer, not from a later daily evaluation.
    expect(Date.parse(a.flags[0]!.since)).toBeLessThan(today);

    const b = await detail(jump);
    expect(b.flagged).toBe(true);
    expect(b.flags.map((f) => f.rule)).toEqual(["impossible_jump"]);
    expect(b.flags[0]!.reason).toBe(
      `Users went from ${jumpFrom.toLocaleString("en-US")} to ${jumpTo.toLocaleString("en-US")} within 2 h, a rise no real server makes.`,
    );

    const c = await detail(fake);
    expect(c.flagged).toBe(true);
    expect(c.flags.map((f) => [f.rule, f.reason])).toEqual([
      ["known_fake", `Listed as reporting fake figures (entry ${fake}: sells followers).`],
    ]);
  });

  it("applies the operator's override file: the flag shows, cleared with its note, and the server counts", async () => {
    const v = await get<Detail & { flags: (Flag & { note: string | null })[] }>(`/api/v1/servers/${vouched}`);
    expect(v.flagged).toBe(false);
    expect(v.flags.map((f) => [f.rule, f.cleared, f.note])).toEqual([
      ["mau_above_total", true, "counts bots, confirmed with the admin"],
    ]);
    expect((await counted()).flagged.has(vouched)).toBe(false);
  });

  it("leaves them out of the live summary and of every breakdown", async () => {
    const s = await get<Summary>("/api/v1/summary");
    expect(s.source).toBe("live");
    const { flagged, users, reportedUsers } = await counted();
    for (const d of [mau, jump, fake]) expect(flagged.has(d), d).toBe(true);
    process.stderr.write(
      `misreport test: honest total ${users.toLocaleString("en-US")} users; ` +
        `with the misreporters it would be ${reportedUsers.toLocaleString("en-US")}; ` +
        `the summary says ${s.users.total.toLocaleString("en-US")} (${s.servers.flagged} flagged)\n`,
    );
    expect(s.users.total).toBe(users);
    expect(s.servers.flagged).toBe(flagged.size);
    expect(s.servers.bySoftware.reduce((a, b) => a + b.users, 0)).toBe(users);
    expect(s.users.activeMonth).toBeLessThan(50_000_000);
    const sumUsers = (rows: { users: number }[]) => rows.reduce((a, r) => a + r.users, 0);
    const software = await get<{ items: { users: number }[] }>("/api/v1/breakdowns/software");
    const countries = await get<{ items: { users: number; servers: number }[] }>(
      "/api/v1/breakdowns/countries",
    );
    const networks = await get<{ items: { users: number }[] }>("/api/v1/breakdowns/networks?limit=500");
    const https = await get<{ grades: { users: number }[] }>("/api/v1/breakdowns/https");
    const versions = await get<{ items: { users: number }[] }>("/api/v1/breakdowns/versions?limit=500");
    expect({
      software: sumUsers(software.items),
      countries: sumUsers(countries.items),
      networks: sumUsers(networks.items),
      https: sumUsers(https.grades),
      versions: sumUsers(versions.items),
    }).toEqual({ software: users, countries: users, networks: users, https: users, versions: users });
  });

  it("keeps them flagged through the daily evaluation, and out of the daily and hourly rollups", async () => {
    await rollupDay(app!.db, new Date(today - DAY), { knownFake: app!.knownFake ?? undefined });
    for (let h = today - 2 * HOUR; h + HOUR <= apiNow.getTime(); h += HOUR)
      await rollupHour(app!.db, new Date(h));
    const s = await get<Summary>("/api/v1/summary");
    expect(s.source).toBe("hourly_rollup");
    const { flagged, users } = await counted();
    for (const d of [mau, jump, fake]) expect(flagged.has(d), d).toBe(true);
    expect(s.users.total).toBe(users);
    const hourly = await get<{ series: { points: { value: number | null }[] }[] }>(
      "/api/v1/timeseries?metric=users&step=hour",
    );
    expect(hourly.series[0]!.points.at(-1)!.value).toBe(users);
    // Yesterday's total: the jumping server was honest then and counts; the other two never do.
    const daily = await get<{ series: { points: { value: number | null }[] }[] }>(
      "/api/v1/timeseries?metric=users&step=day",
    );
    expect(daily.series[0]!.points.at(-1)!.value).toBe(users + jumpFrom);
  });

  it("shows each flag with its reason in `fedimon server D --json`", async () => {
    await api?.close();
    api = null;
    await app?.close();
    app = null;
    const want: Record<string, string> = {
      [mau]: "mau_above_total",
      [jump]: "impossible_jump",
      [fake]: "known_fake",
    };
    for (const [domain, rule] of Object.entries(want)) {
      // The command itself, in this process (a child process would start tsx and PGlite again).
      const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
      let stdout: string;
      try {
        await serverCommand().parseAsync([domain, "--json", "--db", join(dir, "db")], { from: "user" });
      } finally {
        stdout = out.mock.calls.map((c) => String(c[0])).join("\n");
        out.mockRestore();
      }
      const view = JSON.parse(stdout) as Detail;
      expect(view.flagged, domain).toBe(true);
      expect(
        view.flags.map((f) => f.rule),
        domain,
      ).toContain(rule);
      expect(
        view.flags.every((f) => f.reason.length > 20),
        domain,
      ).toBe(true);
      if (domain === mau) expect(view.reported?.usersActiveMonth).toBe(50_000_000);
    }
  });
});
