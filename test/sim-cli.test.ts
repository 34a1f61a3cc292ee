import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLatency, runSimCommand } from "../sim/cli.js";
import type { Sim, SimTruth } from "../sim/index.js";

// Runs inside scripts/loopback-only.sh (binds 127.x.y.z:443).

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("runSimCommand", () => {
  it("prints one JSON line, writes the truth file, and stops cleanly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedimon-sim-"));
    dirs.push(dir);
    const truthFile = join(dir, "truth.json");
    const lines: string[] = [];
    const stop = new AbortController();
    let sim: Sim | null = null;
    const running = runSimCommand({
      servers: 120,
      seed: 9,
      faultRate: 0.25,
      latencyMillis: [0, 0],
      truthFile,
      signal: stop.signal,
      print: (l) => lines.push(l),
      onReady: (s) => {
        sim = s;
        stop.abort();
      },
    });
    await running;
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as {
      dnsServer: string;
      caFile: string;
      seedDomain: string;
      servers: number;
    };
    expect(Object.keys(line).sort()).toEqual(["caFile", "dnsServer", "seedDomain", "servers"]);
    expect(line.servers).toBe(120);
    const truth = JSON.parse(readFileSync(truthFile, "utf8")) as SimTruth;
    expect(truth.seedDomain).toBe(line.seedDomain);
    expect(Object.keys(truth.expected)).toHaveLength(120);
    expect(truth.expected[line.seedDomain]!.outcome).toBe("ok");
    expect(truth.reachable).toContain(line.seedDomain);
    expect(Object.values(truth.faults).length).toBe(30);
    // Closed: nothing listens any more.
    const main = sim!.addresses.main;
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({ host: main, port: 443 }, () => resolve("connected"));
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });

  it("parses latency ranges", () => {
    expect(parseLatency("20,500")).toEqual([20, 500]);
    expect(parseLatency("500-20")).toEqual([20, 500]);
    expect(parseLatency("0")).toEqual([0, 0]);
    expect(() => parseLatency("x")).toThrow();
  });
});
