import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startSim, type Sim } from "./sim.js";

/** Options of `fedimon sim` (and `npx tsx sim/cli.ts`). */
export interface SimCommandOptions {
  servers: number;
  seed: number | string;
  /** Share of faulty servers (default 0.25). */
  faultRate?: number;
  /** Per-server response delay range in ms (default [5, 50]). */
  latencyMillis?: [number, number];
  /** Write the ground truth (expected per domain, faults, reachable set) here as JSON. */
  truthFile?: string;
  /** `127.A.B` to listen under (default random). */
  hostBase?: string;
  /** Stops the simulation when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Called once the simulation is up (tests, benchmarks in-process). */
  onReady?: (sim: Sim) => void;
  /** Where the JSON line goes (default stdout). */
  print?: (line: string) => void;
  /**
   * Answer a parent's `"requests"` message over the IPC channel with `{ requests }`, how many
   * requests the virtual servers received (the crawl benchmark compares its own count with it).
   */
  answerRequestCounts?: boolean;
}

/**
 * Starts a simulation, prints one JSON line `{ dnsServer, caFile, seedDomain, servers }`, writes
 * the ground truth when asked, and runs until SIGINT/SIGTERM (or `signal`), then closes cleanly.
 */
export async function runSimCommand(opts: SimCommandOptions): Promise<void> {
  const sim = await startSim({
    servers: opts.servers,
    seed: opts.seed,
    faultRate: opts.faultRate,
    latencyMillis: opts.latencyMillis,
    hostBase: opts.hostBase,
  });
  const onMessage = (m: unknown): void => {
    if (m === "requests") process.send?.({ requests: sim.log.size });
  };
  try {
    if (opts.truthFile) await writeFile(opts.truthFile, JSON.stringify(sim.truth()));
    const line = JSON.stringify({
      dnsServer: sim.dnsServer,
      caFile: sim.caFile,
      seedDomain: sim.seedDomain,
      servers: sim.domains.length,
    });
    (opts.print ?? ((l: string) => console.log(l)))(line);
    opts.onReady?.(sim);
    if (opts.answerRequestCounts && process.send) process.on("message", onMessage);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        opts.signal?.removeEventListener("abort", stop);
        resolve();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      if (opts.signal?.aborted) stop();
      else opts.signal?.addEventListener("abort", stop);
    });
  } finally {
    process.off("message", onMessage);
    await sim.close();
  }
}

/** Parses `--latency 20,500` (or `20-500`). */
export function parseLatency(text: string): [number, number] {
  const [a, b] = text.split(/[,-]/).map((x) => Number(x.trim()));
  if (a === undefined || !Number.isFinite(a) || a < 0) throw new Error(`bad latency range: ${text}`);
  const hi = b === undefined || !Number.isFinite(b) ? a : b;
  return [Math.min(a, hi), Math.max(a, hi)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      servers: { type: "string", default: "1000" },
      "random-seed": { type: "string", default: "1" },
      "fault-rate": { type: "string", default: "0.25" },
      latency: { type: "string", default: "5,50" },
      truth: { type: "string" },
      "host-base": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: tsx sim/cli.ts [--servers N] [--random-seed S] [--fault-rate 0.25] [--latency MIN,MAX] [--truth FILE] [--host-base 127.A.B]",
    );
    return;
  }
  const randomSeed = values["random-seed"];
  const seed = /^\d+$/.test(randomSeed) ? Number(randomSeed) : randomSeed;
  await runSimCommand({
    servers: Number(values.servers),
    seed,
    faultRate: Number(values["fault-rate"]),
    latencyMillis: parseLatency(values.latency),
    truthFile: values.truth,
    hostBase: values["host-base"],
    // Started by a parent with an IPC channel (the crawl benchmark): answer its questions.
    answerRequestCounts: process.send !== undefined,
  });
  if (process.connected) process.disconnect();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
