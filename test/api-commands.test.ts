/**
 * The entry points the CLI wires (`fedimon serve | export | import`), on an empty store: the API
 * listens on 127.0.0.1 and stops on its signal; an empty store exports a valid, empty set (every
 * file present, Parquet readable) and that set imports.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExportCommand, runImportCommand, runServeCommand, startApiServer } from "../src/api/index.js";
import { defaultConfig } from "../src/config/config.js";
import { ManualClock } from "../src/core/clock.js";
import { MemoryLogger } from "../src/core/log.js";
import type { Db } from "../src/db/db.js";
import { testBackends } from "../src/db/testing.js";
import { request } from "./api-harness.js";

describe("serve, export and import commands", () => {
  let db: Db;
  let dispose: () => Promise<void>;
  let dir: string;
  const config = defaultConfig({ host: "127.0.0.1", port: 0 });
  const clock = new ManualClock(new Date("2026-03-01T12:00:00Z"));
  const logger = new MemoryLogger();

  beforeAll(async () => {
    ({ db, dispose } = await testBackends()[0]!.open());
    dir = await mkdtemp(join(tmpdir(), "fedimon-cmd-"));
  });
  afterAll(async () => {
    await dispose?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("exports an empty store as a valid empty set, which imports", async () => {
    const out = await runExportCommand({ config, logger, outDir: dir, db, clock });
    expect(out.id).toBe("20260301T120000Z");
    for (const ds of out.manifest.datasets) {
      expect(ds.rows).toBe(0);
      const pq = await readFile(join(out.dir, `${ds.name}.parquet`));
      const rows = await parquetReadObjects({
        file: pq.buffer.slice(pq.byteOffset, pq.byteOffset + pq.length) as ArrayBuffer,
      });
      expect(rows).toEqual([]);
      expect((await readFile(join(out.dir, `${ds.name}.csv`), "utf8")).split("\r\n")[0]).toBe(
        ds.columns.map((c) => c.name).join(","),
      );
    }
    const imported = await runImportCommand({ config, logger, source: dir, db, clock });
    expect(imported.datasets.every((d) => d.rows === 0 && d.rejected === 0)).toBe(true);
  });

  it("serves on loopback and stops when its signal aborts", async () => {
    const server = await startApiServer({ config, logger, db, clock, jobs: false, api: { dumpsDir: dir } });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await request(`${server.url}/healthz`)).status).toBe(200);
      expect((await request(`${server.url}/dumps/`)).json<{ sets: unknown[] }>().sets).toHaveLength(1);
    } finally {
      await server.close();
    }
    const stop = new AbortController();
    const running = runServeCommand({ config, logger, db, clock, jobs: false, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 200));
    stop.abort();
    await expect(running).resolves.toBeUndefined();
    expect(logger.lines.filter((l) => l.msg === "api listening")).toHaveLength(2);
  });
});
