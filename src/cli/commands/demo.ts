import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { Command } from "commander";
import { startGithubApiSim } from "../../../sim/github-api.js";
import { startSim } from "../../../sim/index.js";
import { envTrustingTestCa } from "../../../sim/tls/trust.js";

interface DemoFlags {
  servers: string;
  seed: string;
  port: string;
  db: string;
}

/**
 * `fedimon demo`: the whole program offline. Starts the simulated fediverse (and its GitHub-like
 * releases API) on loopback, then runs `fedimon run` against it in a child process that trusts the
 * simulation's CA, with `--only-networks 127.0.0.0/8,::1/128` so nothing can leave the machine.
 * The simulation binds ports 443, 80 and 53 on 127.x.y.z, so it needs root (or run it inside
 * `sh scripts/loopback-only.sh`, where the dashboard is reachable only from inside).
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("Run everything offline against the simulated fediverse (needs root to bind loopback :443)")
    .option("--servers <n>", "virtual servers", "2000")
    .option("--seed <s>", "random seed of the simulation", "1")
    .option("--port <n>", "API and dashboard port", "8080")
    .option("--db <dir>", "data folder of the demo's embedded store", "./fedimon-demo-data")
    .action(async (flags: DemoFlags) => {
      if (typeof process.getuid === "function" && process.getuid() !== 0)
        throw new Error(
          "the demo's simulation binds ports 443, 80 and 53 on loopback: run it as root, or inside `sh scripts/loopback-only.sh`",
        );
      const servers = Number(flags.servers);
      if (!Number.isInteger(servers) || servers < 1) throw new Error("--servers: a whole number");
      mkdirSync(flags.db, { recursive: true });
      const sim = await startSim({ servers, seed: flags.seed, faultRate: 0.25, latencyMillis: [5, 50] });
      const github = await startGithubApiSim({ host: "127.0.0.1", tls: false });
      console.error(
        `fedimon demo: ${servers} simulated servers (DNS ${sim.dnsServer}, seed ${sim.seedDomain}), releases API ${github.url}`,
      );
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
        "--no-stream",
        "--simulated",
        "--port",
        flags.port,
        "--log-level",
        "warn",
      ];
      const child = spawn(process.execPath, args, { env: envTrustingTestCa(), stdio: "inherit" });
      const stop = (): void => {
        child.kill("SIGTERM");
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      await github.close();
      await sim.close();
      process.exitCode = code ?? 0;
    });
}
