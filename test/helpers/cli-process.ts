// The `fedimon` command as a child process, for tests of what several processes do together:
// Node itself with tsx's loader (not the `tsx` command, whose grandchild a signal would miss),
// its stdout and stderr kept as lines.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** A running `fedimon` command. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal's name) and how long it ran, in ms. */
  readonly exited: Promise<{ code: number | string; millis: number }>;
  /** Resolves when a stderr line matches (rejects if the process exits first or after `timeoutMillis`). */
  waitForStderr(re: RegExp, timeoutMillis?: number): Promise<string>;
}

/** Starts `fedimon ...args` with `env` on top of this process's environment. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const split = (into: string[], onLine?: (l: string) => void) => {
    let rest = "";
    return (d: Buffer) => {
      const parts = (rest + d.toString()).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        into.push(line);
        onLine?.(line);
      }
    };
  };
  child.stdout?.on("data", split(stdout));
  child.stderr?.on(
    "data",
    split(stderr, (line) => {
      for (const w of waiters.splice(0)) {
        if (w.re.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    }),
  );
  const exited = new Promise<{ code: number | string; millis: number }>((resolve) =>
    child.on("exit", (code, signal) =>
      resolve({ code: code ?? signal ?? -1, millis: performance.now() - started }),
    ),
  );
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForStderr(re, timeoutMillis = 60_000) {
      const seen = stderr.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `no stderr line matching ${re} within ${timeoutMillis} ms:\n${stderr.slice(-20).join("\n")}`,
              ),
            ),
          timeoutMillis,
        );
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
        void exited.then(({ code }) => {
          clearTimeout(t);
          reject(
            new Error(`exited ${code} before a stderr line matched ${re}:\n${stderr.slice(-20).join("\n")}`),
          );
        });
      });
    },
  };
}

/** Runs `fedimon ...args` to its end. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | string; millis: number; stdout: string[]; stderr: string[] }> {
  const p = startCli(args, env);
  const r = await p.exited;
  return { ...r, stdout: p.stdout, stderr: p.stderr };
}

/** A loopback TCP port free right now (for `--port`). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** The flags that point a crawling command at a simulation, and nowhere but loopback. */
export function simFlags(sim: { seedDomain: string; dnsServer: string }): string[] {
  return ["--seed", sim.seedDomain, "--dns-server", sim.dnsServer, "--only-networks", "127.0.0.0/8"];
}
