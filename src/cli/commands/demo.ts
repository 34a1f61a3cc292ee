import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { addCommandOptions } from "../options.js";
import { planSimulatedHistory, writeSimulatedHistory } from "../../stats/simulated-history.js";
import { simulatedActivity } from "../../stream/simulated-activity.js";
import { openStore } from "../compose.js";

interface DemoFlags {
  servers: string;
  randomSeed: string;
  port: string;
  db: string;
  historyDays: string;
  streamServers: string;
}

/** Waits until `url` answers (the child's API is up), or the child exits, or `timeoutMillis` passes. */
async function waitForUrl(url: string, exited: () => boolean, timeoutMillis: number): Promise<boolean> {
  const until = Date.now() + timeoutMillis;
  while (Date.now() < until && !exited()) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return false;
}

/**
 * `fedimon demo`: the whole program offline. Starts the simulated fediverse on loopback with its
 * country and ASN databases (so servers are located as real ones are), its HTTPS variety (grades
 * from A+ to F), public timelines on its largest Mastodon servers, and a GitHub-like releases API;
 * backfills `--history-days` of simulated history into a new data folder (recorded as simulated,
 * and labelled so by the API); then runs `fedimon run` against it all in a child process that
 * trusts the simulation's CA, with `--only-networks 127.0.0.0/8,::1/128` so nothing can leave the
 * machine, and prints the dashboard's URL on stdout once it answers. The simulation binds ports
 * 443, 80 and 53 on 127.x.y.z, so it needs root (or run it inside `sh scripts/loopback-only.sh`,
 * where the dashboard is reachable only from inside).
 */
export function demoCommand(): Command {
  return addCommandOptions(new Command("demo"), "demo")
    .description("Run everything offline against the simulated fediverse (needs root to bind loopback :443)")
    .action(async (flags: DemoFlags) => {
      if (typeof process.getuid === "function" && process.getuid() !== 0)
        throw new Error(
          "the demo's simulation binds ports 443, 80 and 53 on loopback: run it as root, or inside `sh scripts/loopback-only.sh`",
        );
      const servers = Number(flags.servers);
      if (!Number.isInteger(servers) || servers < 1) throw new Error("--servers: a whole number");
      const historyDays = Number(flags.historyDays);
      if (!Number.isInteger(historyDays) || historyDays < 0 || historyDays > 3660)
        throw new Error("--history-days: a whole number of days, 0 to 3660");
      const streamCount = Number(flags.streamServers);
      if (!Number.isInteger(streamCount) || streamCount < 0)
        throw new Error("--stream-servers: a whole number");
      const started = Date.now();
      // The simulation is loaded only by the commands that run it: other commands start faster.
      const [
        { startGithubApiSim },
        { simulatedServerSeeds, streamingCandidates },
        { startSim },
        { addStreaming },
        { envTrustingTestCa },
      ] = await Promise.all([
        import("../../../sim/github-api.js"),
        import("../../../sim/history-seed.js"),
        import("../../../sim/index.js"),
        import("../../../sim/streaming-fediverse.js"),
        import("../../../sim/tls/trust.js"),
      ]);
      mkdirSync(flags.db, { recursive: true });
      // A new data folder takes a while to create (in a child process): meanwhile the simulation
      // starts and the simulated history is computed.
      const opening = historyDays > 0 ? openStore(flags.db) : null;
      opening?.catch(() => undefined);
      const sim = await startSim({
        servers,
        seed: flags.randomSeed,
        faultRate: 0.25,
        latencyMillis: [5, 50],
        geoDatabases: true,
      });
      const streamDomains = streamingCandidates(sim, streamCount);
      const streaming = addStreaming(sim, { domains: streamDomains });
      const github = await startGithubApiSim({ host: "127.0.0.1", tls: false });
      const secs = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      console.error(
        `fedimon demo: ${servers} simulated servers (DNS ${sim.dnsServer}, seed ${sim.seedDomain}), ` +
          `${streamDomains.length} streaming, releases API ${github.url} (${secs()})`,
      );
      if (opening) {
        const plan = planSimulatedHistory({
          servers: simulatedServerSeeds(sim),
          now: new Date(),
          days: historyDays,
          hourlyDays: Math.min(7, historyDays),
          note: `simulated by fedimon demo from its ${servers}-server simulated fediverse (seed ${flags.randomSeed})`,
        });
        const activityStarted = performance.now();
        plan.activity = simulatedActivity({
          statusJson: (i) => streaming.plan.json(i),
          statuses: streaming.plan.items.length,
          from: plan.history.hourly.from,
          to: plan.history.hourly.to,
        });
        console.error(
          `fedimon demo: computed the simulated history in ${(plan.computeMillis / 1000).toFixed(1)} s ` +
            `and its stream activity in ${((performance.now() - activityStarted) / 1000).toFixed(1)} s (${secs()})`,
        );
        const db = await opening;
        console.error(`fedimon demo: store ready (${secs()})`);
        try {
          const r = await writeSimulatedHistory(db, plan);
          console.error(
            r.written
              ? `fedimon demo: wrote ${historyDays} days of simulated history (${r.serverDays} server-days, ` +
                  `${r.periods} rollup periods; rollups ${(r.writeMillis.rollups / 1000).toFixed(1)} s, ` +
                  `activity ${(r.writeMillis.activity / 1000).toFixed(1)} s, server days ` +
                  `${(r.writeMillis.serverDays / 1000).toFixed(1)} s) (${secs()})`
              : `fedimon demo: no simulated history written: ${r.reason}`,
          );
        } finally {
          await db.close();
        }
      }
      const args = [
        ...process.execArgv,
        process.argv[1]!,
        "run",
        "--db",
        flags.db,
        "--dns-server",
        sim.dnsServer,
        "--seed",
        sim.seedDomain,
        "--only-networks",
        "127.0.0.0/8,::1/128",
        "--github-api",
        github.url,
        ...(streamDomains.length > 0 ? ["--stream-servers", streamDomains.join(",")] : ["--no-stream"]),
        "--simulated",
        "--port",
        flags.port,
        "--dumps-dir",
        join(flags.db, "dumps"),
        // The store fills during the first minute: every answer fresh, none cached for minutes.
        "--no-response-cache",
        "--log-level",
        "warn",
      ];
      const env = {
        ...envTrustingTestCa(),
        FEDIMON_GEOIP_DB: sim.geoipDbFile!,
        FEDIMON_ASN_DB: sim.asnDbFile!,
      };
      const child = spawn(process.execPath, args, { env, stdio: "inherit" });
      let exited = false;
      const stop = (): void => {
        child.kill("SIGTERM");
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const done = new Promise<number | null>((resolve) =>
        child.once("exit", (code) => {
          exited = true;
          resolve(code);
        }),
      );
      const url = `http://127.0.0.1:${flags.port}/`;
      if (await waitForUrl(`${url}healthz`, () => exited, 120_000)) {
        console.log(url);
        console.error(`fedimon demo: dashboard at ${url} (${secs()})`);
      }
      const code = await done;
      streaming.close();
      await github.close();
      await sim.close();
      process.exitCode = code ?? 0;
    });
}
