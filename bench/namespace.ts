/**
 * Runs a benchmark's inner script inside the loopback-only network namespace with the test CA
 * trusted, and returns the JSON object it prints as its last line on stdout.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { envTrustingTestCa } from "../sim/tls/trust.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * `--cpu-prof` flags for a bench process when FEDIMON_BENCH_CPU_PROF names a folder (Node refuses
 * them in NODE_OPTIONS): each process writes a `.cpuprofile` there for Chrome DevTools.
 */
export function cpuProfileFlags(): string[] {
  const dir = process.env.FEDIMON_BENCH_CPU_PROF;
  return dir ? ["--cpu-prof", "--cpu-prof-dir", dir] : [];
}

export async function runInNamespace<T = Record<string, unknown>>(
  script: string,
  args: readonly string[],
): Promise<T> {
  const child = spawn(
    "sh",
    ["scripts/loopback-only.sh", process.execPath, ...cpuProfileFlags(), "--import", "tsx", script, ...args],
    {
      cwd: ROOT,
      env: envTrustingTestCa(),
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const line = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`${script} failed (exit ${code})`);
  return JSON.parse(line) as T;
}
