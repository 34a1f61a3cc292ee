/**
 * Open data: export a realistic store to CSV, JSON Lines and Parquet with a manifest;
 * check every file against it (row counts, SHA-256, Parquet read back with hyparquet equal to the
 * JSON Lines); serve the set at /dumps/; import it over HTTP through the network layer into an
 * empty store; and the API answers the same. Tampered or hostile dumps are refused. Loopback only.
 */
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportDumps, type ExportResult } from "../src/api/dumps/export.js";
import { importDumps } from "../src/api/dumps/import.js";
import { runDailyDumpJob } from "../src/api/dumps/job.js";
import { Manifest } from "../src/api/dumps/manifest.js";
import { defaultConfig } from "../src/config/config.js";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import { createFetcher } from "../src/net/index.js";
import type { Db } from "../src/db/db.js";
import { testBackends } from "../src/db/testing.js";
import { fillStore, type Filled } from "./api-fixture.js";
import { request, startTestApi, type TestApi } from "./api-harness.js";

type Json = Record<string, unknown>;

/**
 * Drops what the dumps do not carry by design: patch status comes from the mirror's own release
 * poller, and `computedAt` is when a job last ran on this instance (an import records its own).
 */
function comparable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(comparable);
  if (v && typeof v === "object") {
    const out: Json = {};
    for (const [k, x] of Object.entries(v))
      if (k !== "patchStatus" && k !== "patch" && k !== "computedAt") out[k] = comparable(x);
    return out;
  }
  return v;
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}

describe("dumps: export, serve, import, answer the same", () => {
  const backend = testBackends()[0]!;
  let src: { db: Db; dispose(): Promise<void> };
  let dst: { db: Db; dispose(): Promise<void> };
  let filled: Filled;
  let dir: string;
  let exported: ExportResult;
  let srcApi: TestApi;
  const clock = new ManualClock();

  beforeAll(async () => {
    src = await backend.open();
    filled = await fillStore(src.db, { servers: 150, days: 6 });
    clock.set(filled.now);
    dir = await mkdtemp(join(tmpdir(), "fedimon-dumps-"));
    exported = await exportDumps(src.db, dir, filled.now, { source: "http://127.0.0.1" });
    srcApi = await startTestApi(src.db, clock, { dumpsDir: dir });
    dst = await backend.open();
  });
  afterAll(async () => {
    await srcApi?.close();
    await src?.dispose();
    await dst?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes every dataset in three formats, each file matching the manifest", async () => {
    const manifest = Manifest.parse(JSON.parse(await readFile(join(exported.dir, "manifest.json"), "utf8")));
    expect(manifest.license.id).toBe("CC0-1.0");
    expect(manifest.license.notice).toContain("CC0");
    expect(manifest.generatedAt).toBe(filled.now.toISOString());
    const latest = JSON.parse(await readFile(join(dir, "latest.json"), "utf8")) as { set: string };
    expect(latest.set).toBe(exported.id);
    expect(manifest.datasets.map((d) => d.name)).toEqual([
      "servers",
      "server_daily",
      "server_changes",
      "rollups_hourly",
      "rollups_daily",
      "concentration_daily",
      "coverage_estimates",
      "hashtag_counts",
    ]);
    for (const ds of manifest.datasets) {
      expect(ds.rows, ds.name).toBeGreaterThan(0);
      expect(ds.files.map((f) => f.format)).toEqual(["csv", "jsonl", "parquet"]);
      const buffers = new Map<string, Buffer>();
      for (const f of ds.files) {
        const buf = await readFile(join(exported.dir, f.path));
        buffers.set(f.format, buf);
        expect(buf.length, f.path).toBe(f.bytes);
        expect(createHash("sha256").update(buf).digest("hex"), f.path).toBe(f.sha256);
      }
      const jsonl = buffers
        .get("jsonl")!
        .toString("utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as Json);
      expect(jsonl.length, ds.name).toBe(ds.rows);
      expect(Object.keys(jsonl[0]!)).toEqual(ds.columns.map((c) => c.name));
      const csv = buffers.get("csv")!.toString("utf8");
      expect(csv.split("\r\n")[0]).toBe(ds.columns.map((c) => c.name).join(","));
      const pq = buffers.get("parquet")!;
      const rows = await parquetReadObjects({
        file: pq.buffer.slice(pq.byteOffset, pq.byteOffset + pq.length) as ArrayBuffer,
      });
      expect(rows.length, ds.name).toBe(ds.rows);
      for (const [i, row] of rows.entries()) {
        for (const c of ds.columns) {
          const want = jsonl[i]![c.name];
          const got = plain(row[c.name]);
          if (c.type === "date") expect(String(got).slice(0, 10), `${ds.name} ${c.name}`).toBe(want);
          else expect(got ?? null, `${ds.name}[${i}].${c.name}`).toEqual(want ?? null);
        }
      }
    }
    const servers = manifest.datasets.find((d) => d.name === "servers")!;
    expect(servers.columns.map((c) => c.name)).not.toContain("address");
    expect(servers.rows).toBe(filled.timeline.servers.length + 1 - 3);
  });

  it("never puts a deny-listed server into any file", async () => {
    for (const name of await readdir(exported.dir)) {
      const text = (await readFile(join(exported.dir, name))).toString("latin1");
      for (const d of [...filled.softDenied, ...filled.hardDenied])
        expect(text, `${name} ${d}`).not.toContain(d);
    }
  });

  it("serves the sets read-only at /dumps/", async () => {
    const index = (await request(`${srcApi.url}/dumps/`)).json<{
      latest: { set: string };
      sets: { id: string }[];
    }>();
    expect(index.latest.set).toBe(exported.id);
    expect(index.sets.map((s) => s.id)).toEqual([exported.id]);
    const csv = await request(`${srcApi.url}/dumps/${exported.id}/servers.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.headers["cache-control"]).toContain("immutable");
    expect(csv.text).toBe(await readFile(join(exported.dir, "servers.csv"), "utf8"));
    const again = await request(`${srcApi.url}/dumps/${exported.id}/servers.csv`, {
      headers: { "if-none-match": csv.headers.etag as string },
    });
    expect(again.status).toBe(304);
    const pq = await request(`${srcApi.url}/dumps/${exported.id}/servers.parquet`, {
      headers: { "accept-encoding": "br" },
    });
    expect(pq.headers["content-type"]).toBe("application/vnd.apache.parquet");
    expect(pq.raw.equals(await readFile(join(exported.dir, "servers.parquet")))).toBe(true);
    for (const bad of [
      `/dumps/${exported.id}/..%2F..%2Fetc%2Fpasswd`,
      `/dumps/${exported.id}/.hidden.csv`,
      "/dumps/..%2Flatest.json/x.csv",
      `/dumps/20000101T000000Z/servers.csv`,
      `/dumps/${exported.id}/servers.exe`,
    ]) {
      expect((await request(`${srcApi.url}${bad}`)).status, bad).toBe(404);
    }
  });

  it("imports over HTTP into an empty store, and the API answers the same", async () => {
    // Soft-denied servers count in the source's live aggregates but are never in dumps, so for a
    // like-for-like comparison they leave the source first, and a new set is written.
    await src.db.query("DELETE FROM servers WHERE deny_level IS NOT NULL");
    const second = await exportDumps(src.db, dir, new Date(filled.now.getTime() + 1000));
    srcApi.api.ctx.cache.clear();
    const fetcher = createFetcher({
      config: defaultConfig({ allowNetworks: ["127.0.0.0/8"], onlyNetworks: ["127.0.0.0/8"] }),
      logger: nullLogger,
    });
    let result;
    try {
      result = await importDumps(dst.db, `${srcApi.url}/dumps/`, {
        fetcher,
        extraSuffixes: ["example"],
        now: filled.now,
      });
    } finally {
      await fetcher.close();
    }
    expect(result.location).toBe(`${srcApi.url}/dumps/${second.id}/`);
    for (const d of result.datasets) {
      expect(d.rejected, d.name).toBe(0);
      expect(d.imported, d.name).toBe(d.rows);
    }
    const mirror = await startTestApi(dst.db, clock);
    try {
      const urls = [
        "/api/v1/summary",
        "/api/v1/servers?limit=200&sort=domain",
        "/api/v1/servers?country=DE&sort=users",
        "/api/v1/servers?registrations=open&https_grade=A&sort=posts",
        "/api/v1/timeseries?by=software&top=5",
        "/api/v1/timeseries?step=hour&metric=servers&by=country",
        "/api/v1/timeseries?step=month&metric=active_month",
        "/api/v1/breakdowns/software",
        "/api/v1/breakdowns/versions",
        "/api/v1/breakdowns/countries",
        "/api/v1/breakdowns/networks",
        "/api/v1/breakdowns/https",
        "/api/v1/breakdowns/concentration",
        "/api/v1/hashtags/rust",
      ];
      const some = (await request(`${srcApi.url}/api/v1/servers?limit=15&sort=users`)).json<{
        items: { domain: string }[];
      }>();
      for (const { domain } of some.items)
        urls.push(`/api/v1/servers/${domain}`, `/api/v1/servers/${domain}/history`);
      for (const url of urls) {
        const a = await request(`${srcApi.url}${url}`);
        const b = await request(`${mirror.url}${url}`);
        expect(b.status, url).toBe(200);
        expect(comparable(b.json()), url).toEqual(comparable(a.json()));
      }
      const ha = (await request(`${srcApi.url}/api/v1/hashtags`)).json<Json>();
      const hb = (await request(`${mirror.url}/api/v1/hashtags`)).json<Json>();
      expect([hb.hour, hb.top]).toEqual([ha.hour, ha.top]);
    } finally {
      await mirror.close();
    }
    const due = await dst.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM servers WHERE next_due_at = $1",
      [filled.now.toISOString()],
    );
    expect(Number(due[0]!.n)).toBeGreaterThan(100);
  });

  it("refuses tampered files, a non-empty store, and skips hostile rows", async () => {
    const tampered = await mkdtemp(join(tmpdir(), "fedimon-tampered-"));
    try {
      await cp(exported.dir, tampered, { recursive: true });
      const path = join(tampered, "servers.jsonl");
      const text = await readFile(path, "utf8");
      await writeFile(
        path,
        text.replace(/"users_total":(\d+)/, (_, n: string) => `"users_total":${Number(n) + 1}`),
      );
      await expect(importDumps(dst.db, tampered, { extraSuffixes: ["example"] })).rejects.toThrow(/checksum/);
      await expect(importDumps(dst.db, exported.dir, { extraSuffixes: ["example"] })).rejects.toThrow(
        /fresh store/,
      );
      // The message names the flag that does it.
      await expect(importDumps(dst.db, exported.dir, { extraSuffixes: ["example"] })).rejects.toThrow(
        /\(pass --merge to import anyway\)$/,
      );

      const rows = [
        JSON.parse(text.split("\n")[0]!) as Json,
        { ...(JSON.parse(text.split("\n")[0]!) as Json), domain: "bad..example" },
        { ...(JSON.parse(text.split("\n")[0]!) as Json), domain: "evil.example", country: "ZZZ" },
        { ...(JSON.parse(text.split("\n")[0]!) as Json), domain: "new.site9999.example", users_total: 42 },
      ];
      const body = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
      await writeFile(path, body);
      const manifest = Manifest.parse(JSON.parse(await readFile(join(tampered, "manifest.json"), "utf8")));
      manifest.datasets = manifest.datasets.filter((d) => d.name === "servers");
      const ds = manifest.datasets[0]!;
      ds.rows = rows.length;
      const f = ds.files.find((x) => x.format === "jsonl")!;
      f.bytes = Buffer.byteLength(body);
      f.sha256 = createHash("sha256").update(body).digest("hex");
      await writeFile(join(tampered, "manifest.json"), JSON.stringify(manifest));
      const r = await importDumps(dst.db, tampered, { extraSuffixes: ["example"], merge: true });
      expect(r.datasets).toEqual([{ name: "servers", rows: 4, imported: 1, rejected: 2 }]);
      const got = await dst.db.query<{ users_total: number }>(
        "SELECT users_total FROM servers WHERE domain = 'new.site9999.example'",
      );
      expect(Number(got[0]!.users_total)).toBe(42);
    } finally {
      await rm(tampered, { recursive: true, force: true });
    }
  });

  it("the daily job writes one set per day after its hour and keeps the newest few", async () => {
    const jobDir = await mkdtemp(join(tmpdir(), "fedimon-daily-"));
    try {
      const day = Date.UTC(2026, 3, 1);
      expect(await runDailyDumpJob(src.db, jobDir, new Date(day + 2 * 3_600_000))).toBe(null);
      const first = await runDailyDumpJob(src.db, jobDir, new Date(day + 4 * 3_600_000), { keepSets: 1 });
      expect(first?.id).toBe("20260401T040000Z");
      expect(await runDailyDumpJob(src.db, jobDir, new Date(day + 9 * 3_600_000), { keepSets: 1 })).toBe(
        null,
      );
      const second = await runDailyDumpJob(src.db, jobDir, new Date(day + 27 * 3_600_000), { keepSets: 1 });
      expect(second?.id).toBe("20260402T030000Z");
      expect((await readdir(jobDir)).filter((n) => /^\d{8}T/.test(n))).toEqual(["20260402T030000Z"]);
    } finally {
      await rm(jobDir, { recursive: true, force: true });
    }
  });
});
