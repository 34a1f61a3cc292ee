// `--log-format json`: every line the long-running commands write on stderr is a JSON object,
// their own messages (the API's address, progress notes, the crawl summary, an error in the
// settings) as well as their log records, so a log shipper never meets a plain line. Each of
// crawl, run, serve, releases and stream runs against the simulation (releases against an API
// address nothing answers, so it logs failures), is stopped with SIGTERM where it would run on,
// and its stderr is read line by line. Run inside the loopback-only namespace:
//   sh scripts/loopback-only.sh npx vitest run --project integration test/log-format-json.test.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { type CliProcess, freePort, simFlags, startCli } from "./helpers/cli-process.js";

const JSON_LOGS = ["--log-format", "json", "--log-level", "info"];

/** The lines of `stderr` that are not one JSON object each. */
function plainLines(stderr: readonly string[]): string[] {
  return stderr.filter((line) => {
    try {
      const v = JSON.parse(line) as unknown;
      return typeof v !== "object" || v === null || Array.isArray(v);
    } catch {
      return true;
    }
  });
}

/** Lets `p` run until a stderr line matches `re` and a little after, then stops it with SIGTERM. */
async function runThenStop(p: CliProcess, re: RegExp): Promise<number | string> {
  await p.waitForStderr(re, 60_000);
  await new Promise((r) => setTimeout(r, 2_000));
  p.child.kill("SIGTERM");
  return (await p.exited).code;
}

describe("--log-format json", () => {
  let sim: Sim;
  let work: string;
  const env = (): Record<string, string> => ({ NODE_EXTRA_CA_CERTS: sim.caFile });

  beforeAll(async () => {
    sim = await startSim({ servers: 40, seed: "log-format-json" });
    work = mkdtempSync(join(tmpdir(), "fedimon-log-format-"));
  }, 60_000);
  afterAll(async () => {
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("makes every stderr line of crawl, run, serve, releases and stream a JSON object", async () => {
    const data = join(work, "data");
    const seen: Record<string, { code: number | string; lines: string[] }> = {};

    // A setting refused before anything starts: the error, as a record.
    const bad = startCli(["crawl", "--once", "--db", data, "--seed", "10.1.2.3", ...JSON_LOGS], env());
    seen["crawl (bad setting)"] = { code: (await bad.exited).code, lines: bad.stderr };

    const crawl = startCli(
      ["crawl", "--once", "--db", data, ...simFlags(sim), "--concurrency", "8", ...JSON_LOGS],
      env(),
    );
    seen.crawl = { code: (await crawl.exited).code, lines: crawl.stderr };

    // serve on that data, stopped.
    const serve = startCli(
      ["serve", "--db", data, "--host", "127.0.0.1", "--port", String(await freePort()), ...JSON_LOGS],
      env(),
    );
    seen.serve = { code: await runThenStop(serve, /api listening/), lines: serve.stderr };

    // stream: listeners on the crawled servers' streams, stopped.
    const stream = startCli(
      ["stream", "--db", data, "--only-networks", "127.0.0.0/8", "--dns-server", sim.dnsServer, ...JSON_LOGS],
      env(),
    );
    seen.stream = { code: await runThenStop(stream, /stream listeners started/), lines: stream.stderr };

    // releases --once against an API address nothing answers: failures, logged.
    const releases = startCli(
      [
        "releases",
        "--once",
        "--db",
        data,
        "--github-api",
        "http://127.0.0.1:9/",
        "--only-networks",
        "127.0.0.0/8",
        ...JSON_LOGS,
      ],
      env(),
    );
    seen.releases = { code: (await releases.exited).code, lines: releases.stderr };

    // run: the API (its address printed), a crawler and the jobs, on a folder of its own, stopped.
    const run = startCli(
      [
        "run",
        "--db",
        join(work, "run-data"),
        ...simFlags(sim),
        "--no-releases",
        "--dumps-dir",
        join(work, "run-dumps"),
        "--host",
        "127.0.0.1",
        "--port",
        String(await freePort()),
        ...JSON_LOGS,
      ],
      env(),
    );
    seen.run = { code: await runThenStop(run, /API and dashboard on/), lines: run.stderr };

    for (const [command, { code, lines }] of Object.entries(seen)) {
      process.stderr.write(
        `log-format-json: ${command} exited ${code}, ${lines.length} stderr lines, ${plainLines(lines).length} not JSON\n`,
      );
      expect(lines.length, `${command} wrote to stderr`).toBeGreaterThan(0);
      expect(plainLines(lines), command).toEqual([]);
    }
    // The commands' own messages are among them, as records.
    const msgs = (command: string): string[] =>
      (seen[command]?.lines ?? []).map((l) => String((JSON.parse(l) as { msg?: unknown }).msg));
    expect(seen["crawl (bad setting)"]?.code).toBe(2);
    expect(msgs("crawl (bad setting)")).toEqual([
      'fedimon: configuration: --seed: not a domain name: "10.1.2.3"',
    ]);
    expect(msgs("crawl").some((m) => /^crawl finished: polled \d+/.test(m))).toBe(true);
    expect(msgs("run").some((m) => /^fedimon: API and dashboard on http:\/\/127\.0\.0\.1:\d+/.test(m))).toBe(
      true,
    );
    expect(seen.serve?.code).toBe(0);
    expect(seen.stream?.code).toBe(0);
    expect(seen.run?.code).toBe(0);
  }, 300_000);
});
