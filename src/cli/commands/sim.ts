import { Command } from "commander";
import { addCommandOptions } from "../options.js";

interface SimFlags {
  servers: string;
  randomSeed: string;
  faultRate: string;
  latency: string;
  truth?: string;
  hostBase?: string;
}

/**
 * `fedimon sim`: runs the simulated fediverse standalone on loopback and prints its DNS address,
 * CA file and a seed domain, so anyone can point a crawler at it. Binds 127.x.y.z:443/:80/:53, so
 * it needs root (or run it inside `scripts/loopback-only.sh` together with the crawler).
 */
export function simCommand(): Command {
  return addCommandOptions(new Command("sim"), "sim")
    .description("Run the simulated fediverse on loopback; prints { dnsServer, caFile, seedDomain, servers }")
    .action(async (flags: SimFlags) => {
      // Loaded here, not at start: only this command and `demo` need the simulation.
      const { parseLatency, runSimCommand } = await import("../../../sim/cli.js");
      const servers = Number(flags.servers);
      if (!Number.isInteger(servers) || servers < 1 || servers > 200_000)
        throw new Error("--servers: a whole number from 1 to 200000");
      const faultRate = Number(flags.faultRate);
      if (!(faultRate >= 0 && faultRate <= 1)) throw new Error("--fault-rate: a share from 0 to 1");
      await runSimCommand({
        servers,
        seed: /^\d+$/.test(flags.randomSeed) ? Number(flags.randomSeed) : flags.randomSeed,
        faultRate,
        latencyMillis: parseLatency(flags.latency),
        truthFile: flags.truth,
        hostBase: flags.hostBase,
      });
    });
}
