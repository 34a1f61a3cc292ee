// What deploy/compose.sim.yaml runs, run here as processes instead of containers: the `sim`
// service's command, then the `crawl-1` service's command and environment for one pass, on an
// embedded store in place of PostgreSQL. So the override's simulation size, random seed, host
// base, DNS address, seed server, CA path and --only-networks crawl the simulation together,
// wherever Docker is missing. Runs inside scripts/loopback-only.sh (the simulation binds :443).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCompose, ROOT } from "../deploy/compose-file.js";
import { startCli, type CliProcess } from "./helpers/cli-process.js";

const running: CliProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The image's /app/dist/sim/... is the repository's sim/... (scripts/copy-assets.mjs). */
const inRepo = (path: string): string => path.replace(/^\/app\/dist\//, `${ROOT}/`);

describe("deploy/compose.sim.yaml's commands", () => {
  it("the sim service's command serves what the crawl-1 service's command crawls", async () => {
    const compose = readCompose("deploy/compose.sim.yaml");
    const simArgv = compose.services.sim!.command!;
    const crawl = compose.services["crawl-1"]!;
    const sim = startCli(simArgv);
    running.push(sim);
    const deadline = Date.now() + 60_000;
    while (sim.stdout.length === 0 && Date.now() < deadline && sim.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(sim.stdout.length, sim.stderr.join("\n")).toBeGreaterThan(0);
    const ready = JSON.parse(sim.stdout[0]!) as { dnsServer: string; seedDomain: string; servers: number };
    // The addresses the override hard-codes are the ones the simulation has.
    const env = crawl.environment ?? {};
    expect(env.FEDIMON_DNS_SERVER).toBe(ready.dnsServer);
    expect(env.FEDIMON_SEEDS).toBe(ready.seedDomain);

    const dir = await mkdtemp(join(tmpdir(), "fedimon-compose-sim-"));
    dirs.push(dir);
    const crawler = startCli([...crawl.command!, "--once", "--json", "--db", join(dir, "data")], {
      ...env,
      NODE_EXTRA_CA_CERTS: inRepo(env.NODE_EXTRA_CA_CERTS ?? ""),
      FEDIMON_LOG_FORMAT: "json",
    });
    running.push(crawler);
    const exit = await crawler.exited;
    expect(exit.code, crawler.stderr.slice(-20).join("\n")).toBe(0);
    const summary = JSON.parse(crawler.stdout.at(-1) ?? "{}") as { polled: number; ok: number };
    // A quarter of the simulated servers are faulty; most of the rest answer.
    expect(summary.polled).toBeGreaterThan(ready.servers * 0.5);
    expect(summary.ok).toBeGreaterThan(ready.servers * 0.5);
    sim.child.kill("SIGTERM");
    expect((await sim.exited).code).toBe(0);
  }, 280_000);
});
