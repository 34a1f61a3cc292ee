/**
 * Starts the simulation in its own process (`sim/cli.ts` under tsx) for a benchmark's inner
 * script, and waits for the JSON line it prints once it is up.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { cpuProfileFlags } from "./namespace.js";

export interface SimProcess {
  process: ChildProcess;
  dnsServer: string;
  seedDomain: string;
}

/** The benchmarks' simulation: `servers` servers from random seed 1, 25% dead or faulty, latencies `latency` (ms). */
export function benchSimArgs(servers: number, latency = "20,500"): string[] {
  return ["--servers", String(servers), "--random-seed", "1", "--fault-rate", "0.25", "--latency", latency];
}

export async function startSimProcess(args: readonly string[]): Promise<SimProcess> {
  const child = spawn(process.execPath, [...cpuProfileFlags(), "--import", "tsx", "sim/cli.ts", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const info = await new Promise<{ dnsServer: string; seedDomain: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) =>
      resolve(JSON.parse(line) as { dnsServer: string; seedDomain: string }),
    );
    child.once("exit", (code) => reject(new Error(`simulation exited with ${code}`)));
  });
  return { process: child, dnsServer: info.dnsServer, seedDomain: info.seedDomain };
}
