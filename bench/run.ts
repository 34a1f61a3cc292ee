/**
 * `npm run bench -- run`: the memory of `fedimon run` as a user runs it. Builds the program
 * (`npm run build`; `--no-build` skips it), then, inside the loopback-only namespace with the test
 * CA trusted, starts the simulation (2,000 servers, its own process) and the GitHub-like releases
 * API, and runs the built `node dist/src/cli/main.js run` on a fresh data folder. Peak RSS of the
 * `run` process tree (children included, summed from /proc) and of the main process, per phase:
 * the first start until /healthz answers, the first crawl pass, and an idle period
 * (`--idle-minutes N`; 65 at full size so the hourly rollup and the hourly re-poll happen, 2 with
 * `--size small`). `--servers N` sizes the simulation; `--no-stream` runs without the stream
 * listeners; `--node-flags="..."` passes Node or V8 flags to `run` and
 * `--env NAME=VALUE` (repeatable) an environment variable (e.g. glibc's `MALLOC_ARENA_MAX=2`), to
 * measure a setting. bench/run-inner.ts does the measuring.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runInNamespace } from "./namespace.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Runs the benchmark; the runner writes what it returns to bench/results/run.json. */
export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: opts.args,
    strict: false,
    options: {
      servers: { type: "string" },
      "idle-minutes": { type: "string" },
      "no-build": { type: "boolean" },
      "no-stream": { type: "boolean" },
      "node-flags": { type: "string" },
      env: { type: "string", multiple: true },
    },
  });
  const servers = typeof values.servers === "string" ? Number(values.servers) : 2_000;
  if (!Number.isInteger(servers) || servers < 1) throw new Error(`bad --servers ${String(values.servers)}`);
  const idleMinutes =
    typeof values["idle-minutes"] === "string"
      ? Number(values["idle-minutes"])
      : opts.size === "small"
        ? 2
        : 65;
  if (!Number.isFinite(idleMinutes) || idleMinutes < 0)
    throw new Error(`bad --idle-minutes ${String(values["idle-minutes"])}`);
  if (values["no-build"] !== true) {
    console.error("bench run: npm run build");
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  }
  const args = ["--servers", String(servers), "--idle-minutes", String(idleMinutes)];
  if (values["no-stream"] === true) args.push("--no-stream");
  if (typeof values["node-flags"] === "string") args.push(`--node-flags=${values["node-flags"]}`);
  for (const e of Array.isArray(values.env) ? values.env : []) {
    if (typeof e !== "string" || !/^[A-Z_][A-Z0-9_]*=/.test(e)) throw new Error(`bad --env ${String(e)}`);
    args.push(`--env=${e}`);
  }
  const result = await runInNamespace("bench/run-inner.ts", args);
  const aims = { firstStartMB: 400, idleMB: 400, busyMB: 600 };
  return { aims, ...result };
}
