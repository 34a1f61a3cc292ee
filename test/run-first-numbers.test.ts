/**
 * First numbers are honest: on a store no crawl has filled, the API says `null` with
 * `computedAt: null` and the reason for advisory exposure, patch adoption (now and per branch over
 * time), concentration and the daily series, and the API's jobs write no dump set; `fedimon run` (a child process, on a
 * simulation and a simulated releases API) computes them right after its first crawl pass, and
 * writes its first dump set then, with rows, without waiting for the day to end. Runs inside
 * scripts/loopback-only.sh.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startGithubApiSim } from "../sim/github-api.js";
import { startSim } from "../sim/index.js";
import { envTrustingTestCa } from "../sim/tls/trust.js";
import { startApiJobs } from "../src/api/jobs.js";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import { testBackends } from "../src/db/testing.js";
import { request, startTestApi } from "./api-harness.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "fedimon-first-numbers-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Json = Record<string, unknown>;
const PATHS = {
  advisories: "/api/v1/advisories",
  patchAdoption: "/api/v1/patch-adoption",
  patchHistory: "/api/v1/patch-adoption/history",
  concentration: "/api/v1/breakdowns/concentration",
  daily: "/api/v1/timeseries?metric=servers&step=day",
};

async function answers(url: string): Promise<Record<keyof typeof PATHS, Json>> {
  const out: Partial<Record<keyof typeof PATHS, Json>> = {};
  for (const [name, path] of Object.entries(PATHS)) {
    const r = await request(`${url}${path}`);
    expect(r.status, path).toBe(200);
    out[name as keyof typeof PATHS] = r.json<Json>();
  }
  return out as Record<keyof typeof PATHS, Json>;
}

describe("first numbers", () => {
  it("before any crawl: null with computedAt null and the reason, and no dump set", async () => {
    const { db, dispose } = await testBackends()[0]!.open();
    const clock = new ManualClock(new Date("2026-06-01T12:00:00Z"));
    const api = await startTestApi(db, clock);
    const dumps = join(work, "fresh-dumps");
    const jobs = startApiJobs({
      db,
      clock,
      logger: nullLogger,
      tickMillis: 3_600_000,
      dumps: { dir: dumps },
    });
    try {
      await jobs.tick();
      const a = await answers(api.url);
      for (const [name, body] of Object.entries(a)) {
        expect(body.computedAt, name).toBeNull();
        expect(body.pending, name).toMatch(/first crawl pass/);
      }
      expect(a.patchAdoption.statuses).toBeNull();
      expect(a.patchAdoption.branches).toBeNull();
      expect(a.patchHistory.branches).toBeNull();
      expect(a.concentration.latest).toBeNull();
      expect(a.daily.series).toBeNull();
      expect(a.advisories.exposureDay).toBeNull();
      expect(existsSync(join(dumps, "latest.json"))).toBe(false);
    } finally {
      await jobs.stop();
      await api.close();
      await dispose();
    }
  });

  it("`run` computes them after its first crawl pass and writes the first dump set with rows", async () => {
    const sim = await startSim({ servers: 60, seed: "first-numbers", faultRate: 0, latencyMillis: [1, 5] });
    const github = await startGithubApiSim({ host: "127.0.0.1", tls: false });
    const dumps = join(work, "run-dumps");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        MAIN,
        "run",
        "--db",
        join(work, "run-data"),
        "--dns-server",
        sim.dnsServer,
        "--seed",
        sim.seedDomain,
        "--only-networks",
        "127.0.0.0/8",
        "--github-api",
        github.url,
        "--no-stream",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--dumps-dir",
        dumps,
        "--log-level",
        "warn",
      ],
      { env: envTrustingTestCa({ ...process.env }), stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const deadline = Date.now() + 150_000;
      let url: string | null = null;
      while (Date.now() < deadline && !existsSync(join(dumps, "latest.json"))) {
        url ??= /API and dashboard on (http:\/\/\S+)/.exec(stderr)?.[1] ?? null;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(existsSync(join(dumps, "latest.json")), stderr).toBe(true);
      url ??= /API and dashboard on (http:\/\/\S+)/.exec(stderr)?.[1] ?? null;
      expect(url, stderr).toBeTruthy();
      const a = await answers(url!);
      for (const [name, body] of Object.entries(a)) {
        expect(body.computedAt, name).toEqual(expect.any(String));
        expect(body.pending, name).toBeNull();
      }
      expect(a.patchAdoption.statuses).toEqual(expect.arrayContaining([expect.anything()]));
      expect(a.patchHistory.branches).toEqual(expect.arrayContaining([expect.anything()]));
      expect(a.concentration.latest).not.toBeNull();
      expect((a.concentration.latest as Json).servers).toBeGreaterThan(0);
      const series = a.daily.series as { points: { value: number }[] }[];
      expect(series[0]!.points.at(-1)!.value).toBeGreaterThan(0);
      expect(a.advisories.exposureDay).toEqual(expect.any(String));
      // The first dump set, written after the pass: rows, not an empty network.
      const latest = JSON.parse(readFileSync(join(dumps, "latest.json"), "utf8")) as { set: string };
      const manifest = JSON.parse(readFileSync(join(dumps, latest.set, "manifest.json"), "utf8")) as {
        datasets: { name: string; rows: number }[];
      };
      expect(manifest.datasets.find((d) => d.name === "servers")!.rows).toBeGreaterThan(20);
    } finally {
      child.kill("SIGTERM");
      await exited;
      await github.close();
      await sim.close();
    }
  }, 200_000);
});
