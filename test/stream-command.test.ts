/**
 * `fedimon stream` end to end: `runStreamCommand` opens the store, selects the largest servers that
 * the crawler recorded, listens under the global connection cap and writes its counters. Inside the
 * loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run test/stream-command.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStreamingSim, type StreamingSim } from "../sim/streaming.js";
import { defaultConfig } from "../src/config/index.js";
import { MemoryLogger } from "../src/core/index.js";
import { openDb } from "../src/db/open.js";
import { readActivityCounts, readStreamServers } from "../src/stream/store.js";
import { runStreamCommand } from "../src/cli/compose/stream.js";
import type { StreamSummary } from "../src/stream/service.js";

const SERVERS = ["big", "large", "medium", "small", "misskey", "gone"].map((n) => `${n}.cmd.test`);

describe("runStreamCommand", () => {
  let sim: StreamingSim;
  let dir: string;
  let summary: StreamSummary;
  let peakOpen = 0;
  const logger = new MemoryLogger();

  beforeAll(async () => {
    sim = await startStreamingSim({
      seed: "command-1",
      statuses: 400,
      servers: SERVERS.map((domain) => ({ domain, transports: ["websocket" as const] })),
    });
    dir = mkdtempSync(join(tmpdir(), "fedimon-stream-"));
    // What the crawler would have recorded: sizes, software, one opted-out server.
    const db = await openDb(dir);
    const rows: [string, number, string, string][] = [
      ["big.cmd.test", 9000, "mastodon", "ok"],
      ["large.cmd.test", 5000, "pleroma", "ok"],
      ["medium.cmd.test", 800, "gotosocial", "ok"],
      ["small.cmd.test", 10, "mastodon", "ok"],
      ["misskey.cmd.test", 20000, "misskey", "ok"],
      ["gone.cmd.test", 30000, "mastodon", "opted_out"],
    ];
    for (const [domain, mau, family, outcome] of rows) {
      await db.query(
        "INSERT INTO servers (domain, first_seen_at, outcome, software_family, users_active_month) VALUES ($1, now(), $2, $3, $4)",
        [domain, outcome, family, mau],
      );
    }
    await db.close();
    const sampler = setInterval(() => {
      const open = [...sim.sites.values()].reduce((a, s) => a + s.openStreams, 0);
      peakOpen = Math.max(peakOpen, open);
    }, 10);
    summary = await runStreamCommand({
      config: defaultConfig({
        db: dir,
        dnsServer: sim.dnsAddress,
        allowNetworks: ["127.0.0.0/8"],
        onlyNetworks: ["127.0.0.0/8"],
      }),
      stream: { topServers: 3, maxConnections: 2, flushIntervalMillis: 200, idleTimeoutMillis: 60_000 },
      durationMillis: 5_000,
      logger,
    });
    clearInterval(sampler);
  }, 120_000);

  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("listens to the largest eligible servers only, never more at once than the cap", async () => {
    expect(summary.servers).toBe(3);
    expect(peakOpen).toBe(2);
    expect(summary.counters.counted).toBeGreaterThan(50);
    const db = await openDb(dir);
    try {
      const states = await readStreamServers(db);
      expect(states.map((s) => s.domain).sort()).toEqual([
        "big.cmd.test",
        "large.cmd.test",
        "medium.cmd.test",
      ]);
      const rows = await readActivityCounts(db, {
        from: new Date(0),
        to: new Date(Date.now() + 3_600_000),
        origin: "*",
      });
      expect(rows.reduce((a, r) => a + r.posts, 0)).toBe(summary.counters.counted);
    } finally {
      await db.close();
    }
    // Servers not selected received nothing at all.
    for (const d of ["small.cmd.test", "misskey.cmd.test", "gone.cmd.test"])
      expect(sim.sites.get(d)!.requests).toEqual([]);
  });
});
