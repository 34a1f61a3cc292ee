// `fedimon demo` end to end, through the CLI, at its default size (2,000 servers, 90 days of
// simulated history; FEDIMON_DEMO_SERVERS / FEDIMON_DEMO_HISTORY_DAYS make it smaller): the
// simulated fediverse (countries from ccTLDs and its own MMDBs, networks, HTTPS variety,
// streaming timelines, a GitHub-like releases API) and `fedimon run` against it, with simulated
// history backfilled and labelled. Within 60 s of the dashboard's URL being printed, every API
// area the dashboard reads has data; the test prints when each area first had data, counted from
// the command's start, and the time to populated both from the start and from the URL.
// Inside the loopback-only namespace:
//   sh scripts/loopback-only.sh npx vitest run --project integration test/demo.test.ts
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DEADLINE_MILLIS = 60_000;
const PORT = 20_000 + Math.floor(Math.random() * 20_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("fedimon demo", () => {
  let child: ChildProcess;
  let dir: string;
  let base = "";
  let stderr = "";
  const startedAt = Date.now();
  /** When each check first held, in ms after the command started. */
  const heldAt = new Map<string, number>();
  const last = new Map<string, Json>();

  async function get(path: string): Promise<Json> {
    const r = await fetch(`${base}${path}`, { headers: { "cache-control": "no-cache" } });
    return (await r.json()) as Json;
  }

  /** Every API area the dashboard reads, and what "has data" means for it. */
  const checks: Record<string, () => Promise<boolean>> = {
    summary: async () => {
      const s = await get("/api/v1/summary");
      last.set("summary", s);
      return s.servers.total > 0 && s.simulatedHistory !== null;
    },
    countries: async () => {
      const c = await get("/api/v1/breakdowns/countries");
      last.set("countries", c);
      const all = c.items.reduce((a: number, i: Json) => a + i.servers, 0);
      const known = c.items
        .filter((i: Json) => i.country !== null)
        .reduce((a: number, i: Json) => a + i.servers, 0);
      return all >= 40 && known / all >= 0.7;
    },
    networks: async () => {
      const n = await get("/api/v1/breakdowns/networks");
      last.set("networks", n);
      return n.items.filter((i: Json) => i.network !== null && i.servers > 0).length >= 4;
    },
    https: async () => {
      const h = await get("/api/v1/breakdowns/https");
      last.set("https", h);
      return h.grades.filter((g: Json) => g.servers > 0).length >= 4;
    },
    hashtags: async () => {
      // Counted by the live listeners in the current hour, not the simulated past.
      const t = await get("/api/v1/hashtags");
      last.set("hashtags", t);
      return t.top.length > 0 && t.simulated === false;
    },
    activity: async () => {
      const a = await get("/api/v1/activity");
      last.set("activity", a);
      return a.points.length > 0;
    },
    releases: async () => {
      const r = await get("/api/v1/releases");
      const adv = await get("/api/v1/advisories");
      return r.items.length > 0 && adv.items.length > 0;
    },
    adoption: async () => {
      const p = await get("/api/v1/patch-adoption");
      last.set("adoption", p);
      return p.statuses.reduce((a: number, s: Json) => a + s.servers, 0) > 0;
    },
    adoptionHistory: async () => {
      // The days before the first adoption snapshot are simulated (releases/simulated-adoption.ts).
      const h = await get("/api/v1/patch-adoption/history");
      last.set("adoptionHistory", h);
      return (h.branches ?? []).some((b: Json) => b.points.length >= 25);
    },
    history: async () => {
      const t = await get("/api/v1/timeseries?metric=servers&step=day");
      last.set("history", t);
      return t.simulated === true && (t.series[0]?.points.length ?? 0) >= 25;
    },
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "fedimon-demo-"));
    child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "demo",
        ...(process.env.FEDIMON_DEMO_SERVERS ? ["--servers", process.env.FEDIMON_DEMO_SERVERS] : []),
        "--port",
        String(PORT),
        "--db",
        join(dir, "data"),
        ...(process.env.FEDIMON_DEMO_HISTORY_DAYS
          ? ["--history-days", process.env.FEDIMON_DEMO_HISTORY_DAYS]
          : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (b: Buffer) => {
        out += b.toString();
        const line = out.split("\n").find((l) => l.startsWith("http://"));
        if (line) resolve(line.trim());
      });
      child.once("exit", (code) => reject(new Error(`demo exited ${code}: ${stderr}`)));
    });
    expect(url).toBe(`http://127.0.0.1:${PORT}/`);
    base = url.replace(/\/$/, "");
    heldAt.set("url", Date.now() - startedAt);
    const urlAt = Date.now();
    while (heldAt.size < Object.keys(checks).length + 1 && Date.now() - urlAt < DEADLINE_MILLIS + 10_000) {
      for (const [name, check] of Object.entries(checks)) {
        if (heldAt.has(name)) continue;
        if (await check().catch(() => false)) heldAt.set(name, Date.now() - startedAt);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const populated = heldAt.size === Object.keys(checks).length + 1 ? Math.max(...heldAt.values()) : null;
    const printedAt = heldAt.get("url")!;
    process.stderr.write(
      `${stderr}demo: ${[...heldAt].map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(", ")}\n` +
        (populated === null
          ? "demo: not every area had data\n"
          : `demo: every area populated ${(populated / 1000).toFixed(1)} s after the command started, ` +
            `${((populated - printedAt) / 1000).toFixed(1)} s after the URL was printed\n`),
    );
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("prints the dashboard's URL, and within 60 s every area the dashboard reads has data", () => {
    const url = heldAt.get("url")!;
    const late = Object.keys(checks).filter((k) => (heldAt.get(k) ?? Infinity) - url > DEADLINE_MILLIS);
    expect(late, JSON.stringify(Object.fromEntries(late.map((k) => [k, last.get(k) ?? null])))).toEqual([]);
  });

  it("varies where servers are, who hosts them and how well they run HTTPS", () => {
    const countries = last.get("countries")!.items.filter((i: Json) => i.country !== null);
    expect(countries.length).toBeGreaterThanOrEqual(5);
    expect(countries.some((i: Json) => i.tldServers > 0)).toBe(true);
    const grades = last.get("https")!.grades.map((g: Json) => g.grade);
    expect(grades).toEqual(expect.arrayContaining(["A+", "A", "B", "C"]));
  });

  it("labels simulated history and never serves it as the present", async () => {
    const s = await get("/api/v1/summary");
    // The demo's data is all from the simulated fediverse; its history before the start is simulated.
    expect(s.simulated).toBe(true);
    const range = s.simulatedHistory;
    expect(new Date(s.asOf).getTime()).toBeGreaterThanOrEqual(Date.parse(range.hourly.to));
    expect(range.note).toMatch(/simulated by fedimon demo/);
    // The simulated past ends before the demo started; the present is observed.
    expect(new Date(range.hourly.to).getTime()).toBeLessThanOrEqual(startedAt);
    expect(new Date(range.daily.to).getTime()).toBeLessThanOrEqual(startedAt);
    const t = last.get("history")!;
    expect(t.simulatedRange).toEqual(range.daily);
    for (const p of t.series[0].points)
      expect(new Date(p.at).getTime()).toBeLessThan(Date.parse(range.daily.to));
    // A server's own history is labelled the same way.
    const list = await get("/api/v1/servers?limit=5&sort=users");
    const h = await get(`/api/v1/servers/${list.items[0].domain}/history`);
    expect(h.simulated).toBe(true);
    expect(h.days.length).toBeGreaterThan(0);
    // So is the patch-adoption history: many days per branch, those before today simulated.
    const a = last.get("adoptionHistory")!;
    expect(a.simulated).toBe(true);
    expect(a.simulatedRange).toEqual(range.daily);
    const long = a.branches.filter((b: Json) => b.points.length >= 25);
    expect(long.length).toBeGreaterThanOrEqual(2);
    for (const b of long) {
      const simulatedDays = b.points.filter(
        (p: Json) => Date.parse(`${p.day}T00:00:00Z`) < Date.parse(range.daily.to),
      );
      expect(simulatedDays.length).toBeGreaterThanOrEqual(b.points.length - 2);
      const shares = simulatedDays.map((p: Json) => p.latestShare ?? 0);
      for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeGreaterThanOrEqual(shares[i - 1]);
    }
    // The OpenAPI document describes the labels.
    const doc = await get("/api/openapi.json");
    expect(Object.keys(doc.components.schemas.Summary.properties)).toEqual(
      expect.arrayContaining(["simulated", "simulatedHistory"]),
    );
    expect(Object.keys(doc.components.schemas.Timeseries.properties)).toEqual(
      expect.arrayContaining(["simulated", "simulatedRange"]),
    );
    expect(Object.keys(doc.components.schemas.PatchAdoptionHistory.properties)).toEqual(
      expect.arrayContaining(["simulated", "simulatedRange"]),
    );
  });
});
