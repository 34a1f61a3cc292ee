import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileWriter, parquetWriteRows } from "hyparquet-writer";
import type { Logger } from "../../core/log.js";
import { nullLogger } from "../../core/log.js";
import { FEDIMON_VERSION } from "../../core/version.js";
import type { DumpDataset } from "../queries/dumps.js";
import { DUMP_DATASETS, readDumpPage } from "../queries/dumps.js";
import type { Db } from "../../db/db.js";
import { canonicalRow, csvHeader, csvLine, jsonLine, parquetElement, parquetValue } from "./formats.js";
import type { LatestPointer, Manifest } from "./manifest.js";
import { CC0_NOTICE, DUMP_FORMAT, DUMP_FORMAT_VERSION, setIdOf } from "./manifest.js";

/** Options of {@link exportDumps}. */
export interface ExportOptions {
  /** This instance's public URL, recorded as the source. Default none. */
  source?: string | null;
  logger?: Logger;
  /** Rows read per query (per-server history: this / 100 servers). Default 5,000. */
  pageSize?: number;
}

/** What an export wrote. */
export interface ExportResult {
  /** The set's id (its generation time, `20260131T030000Z`). */
  id: string;
  /** The set's folder. */
  dir: string;
  manifest: Manifest;
  millis: number;
}

async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

function write(stream: WriteStream, text: string): Promise<void> {
  return stream.write(text) ? Promise.resolve() : new Promise((resolve) => stream.once("drain", resolve));
}

function end(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("error", reject);
    stream.end(resolve);
  });
}

/**
 * Streams one dataset out of the store into its CSV, JSON Lines and Parquet files at once: pages
 * are read by key, each row is written to the text files as the Parquet writer pulls it, so memory
 * stays bounded by one page and one Parquet row group.
 */
async function exportDataset(db: Db, ds: DumpDataset, dir: string, pageSize: number): Promise<number> {
  const csv = createWriteStream(join(dir, `${ds.name}.csv`));
  const jsonl = createWriteStream(join(dir, `${ds.name}.jsonl`));
  await write(csv, csvHeader(ds.columns));
  let rows = 0;
  async function* source(): AsyncGenerator<Record<string, unknown>> {
    let after: string[] | null = null;
    for (;;) {
      const page = await readDumpPage(db, ds.name, after, pageSize);
      for (const raw of page.rows) {
        const row = canonicalRow(ds.columns, raw);
        await write(csv, csvLine(ds.columns, row));
        await write(jsonl, jsonLine(row));
        rows++;
        const pq: Record<string, unknown> = {};
        for (const c of ds.columns) pq[c.name] = parquetValue(c.type, row[c.name]);
        yield pq;
      }
      if (page.next === null) return;
      after = page.next;
    }
  }
  const elements = ds.columns.map(parquetElement);
  await parquetWriteRows({
    writer: fileWriter(join(dir, `${ds.name}.parquet`)),
    rows: source(),
    columns: ds.columns.map((c) => ({ name: c.name, nullable: c.nullable })),
    schema: [{ name: "root", num_children: elements.length }, ...elements],
    rowGroupSize: 50_000,
    kvMetadata: [{ key: "fedimon.license", value: "CC0-1.0" }],
    createdBy: `fedimon ${FEDIMON_VERSION}`,
  });
  await Promise.all([end(csv), end(jsonl)]);
  return rows;
}

/**
 * Writes a dump set of servers, per-server daily history and changes, network rollups,
 * concentration and hashtag counts as CSV, JSON Lines and Parquet, with `manifest.json` (schema,
 * row counts, SHA-256 checksums, generation time, CC0 notice), into `<dir>/<set id>/`, then points
 * `<dir>/latest.json` at it. The set appears whole or not at all (written aside, then renamed).
 */
export async function exportDumps(
  db: Db,
  dir: string,
  now: Date,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const started = performance.now();
  const log = opts.logger ?? nullLogger;
  const id = setIdOf(now);
  const finalDir = join(dir, id);
  const tmpDir = join(dir, `.tmp-${id}-${process.pid}`);
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  try {
    const datasets: Manifest["datasets"] = [];
    for (const ds of DUMP_DATASETS) {
      const t = performance.now();
      const rows = await exportDataset(db, ds, tmpDir, opts.pageSize ?? 5_000);
      const files: Manifest["datasets"][number]["files"] = [];
      for (const format of ["csv", "jsonl", "parquet"] as const) {
        const path = `${ds.name}.${format}`;
        files.push({ format, path, ...(await sha256File(join(tmpDir, path))) });
      }
      datasets.push({ name: ds.name, description: ds.description, rows, columns: ds.columns, files });
      log.info("dataset exported", { dataset: ds.name, rows, millis: Math.round(performance.now() - t) });
    }
    const manifest: Manifest = {
      format: DUMP_FORMAT,
      formatVersion: DUMP_FORMAT_VERSION,
      generatedAt: now.toISOString(),
      generator: `fedimon/${FEDIMON_VERSION}`,
      source: opts.source ?? null,
      license: {
        id: "CC0-1.0",
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        notice: CC0_NOTICE,
      },
      datasets,
    };
    await writeFile(join(tmpDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    await rm(finalDir, { recursive: true, force: true });
    await rename(tmpDir, finalDir);
    const pointer: LatestPointer = {
      set: id,
      generatedAt: manifest.generatedAt,
      manifest: `${id}/manifest.json`,
    };
    const tmpPointer = join(dir, `.latest-${process.pid}.json`);
    await writeFile(tmpPointer, JSON.stringify(pointer, null, 2) + "\n");
    await rename(tmpPointer, join(dir, "latest.json"));
    return { id, dir: finalDir, manifest, millis: performance.now() - started };
  } catch (err) {
    await rm(tmpDir, { recursive: true, force: true });
    throw err;
  }
}
