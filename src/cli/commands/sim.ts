import { Command } from "commander";
import { parseLatency, runSimCommand } from "../../../sim/cli.js";

interface SimFlags {
  servers: string;
  seed: string;
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
  return new Command("sim")
    .description("Run the simulated fediverse on loopback; prints { dnsServer, caFile, seedDomain, servers }")
    .option("--servers <n>", "virtual servers", "1000")
    .option("--seed <s>", "random seed (same seed, same fediverse)", "1")
    .option("--fault-rate <share>", "share of faulty servers", "0.25")
    .option("--latency <min,max>", "per-response delay range in ms", "5,50")
    .option("--truth <file>", "write the ground truth (expected values per domain) here as JSON")
    .option("--host-base <127.A.B>", "loopback block to listen under (default random)")
    .action(async (flags: SimFlags) => {
      const servers = Number(flags.servers);
      if (!Number.isInteger(servers) || servers < 1 || servers > 200_000)
        throw new Error("--servers: a whole number from 1 to 200000");
      const faultRate = Number(flags.faultRate);
      if (!(faultRate >= 0 && faultRate <= 1)) throw new Error("--fault-rate: a share from 0 to 1");
      await runSimCommand({
        servers,
        seed: /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed,
        faultRate,
        latencyMillis: parseLatency(flags.latency),
        truthFile: flags.truth,
        hostBase: flags.hostBase,
      });
    });
}
