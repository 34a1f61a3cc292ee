import { createHash } from "node:crypto";
import { z } from "zod";
import type { Logger } from "../../core/log.js";
import { nullLogger } from "../../core/log.js";
import { isOutcome } from "../../core/outcome.js";
import { normalizeDomain } from "../../domains/normalize.js";
import type { Fetcher } from "../../net/types.js";
import { DIMENSIONS } from "../../stats/types.js";
import type { DumpColumn, DumpDatasetName } from "../queries/dumps.js";
import { DUMP_DATASETS } from "../queries/dumps.js";
import { countServers, importDumpRows, sealImportedHistory } from "../queries/dumps-import.js";
import type { Db } from "../../db/db.js";
import { HTTPS_GRADES } from "../schemas/servers.js";
import type { Manifest } from "./manifest.js";
import { openDumpLocation } from "./source.js";

/** Options of {@link importDumps}. */
export interface ImportOptions {
  /** Needed for URLs: the network layer's fetcher (`createFetcher`). */
  fetcher?: Fetcher;
  /** Import into a store that already knows servers (its own rows win). Default false: a fresh store only. */
  merge?: boolean;
  /** Suffixes accepted besides the public-suffix list (e.g. `test` for a simulation). Default none. */
  extraSuffixes?: readonly string[];
  /** Largest file read over HTTP. Default 1 GiB. */
  maxFileBytes?: number;
  /** The import's time: imported servers are due for a poll then. Default now. */
  now?: Date;
  logger?: Logger;
}

/** What an import did, per dataset. */
export interface ImportResult {
  location: string;
  generatedAt: string;
  datasets: { name: string; rows: number; imported: number; rejected: number }[];
  millis: number;
}

const BATCH = 1_000;
const Iso = z.iso.datetime();
const Text = z.string().max(10_000);

/** Extra checks per column name, on top of the column's type (the store's CHECK constraints, and sane sizes). */
const COLUMN_RULES: Record<string, z.ZodType> = {
  overlay: z.enum(["clearnet", "onion", "i2p"]),
  outcome: z.string().refine(isOutcome, "unknown outcome class"),
  country: z.string().regex(/^[A-Z]{2}$/),
  country_source: z.enum(["tld", "ip", "unknown"]),
  asn: z.number().int().min(1).max(4_294_967_295),
  https_score: z.number().int().min(0).max(100),
  https_grade: z.enum(HTTPS_GRADES),
  languages: z.array(z.string().max(200)).max(100),
  https_deductions: z
    .array(z.object({ code: z.string().max(100), points: z.number(), reason: z.string().max(1000) }))
    .max(100),
  misreport_flags: z
    .array(
      z.object({
        rule_id: z.string().min(1).max(100),
        reason: z.string().max(2000),
        since: Iso,
        raised_at: Iso.optional(),
        cleared_note: z.string().max(2000).nullable(),
      }),
    )
    .max(50),
  dimension: z.enum(DIMENSIONS),
  polls: z.number().int().min(0).max(32_767),
  polls_up: z.number().int().min(0).max(32_767),
  tag: z.string().min(1).max(200),
};

function typeSchema(c: DumpColumn): z.ZodType {
  const rule = COLUMN_RULES[c.name];
  let s: z.ZodType;
  switch (c.type) {
    case "string":
      s = rule ?? Text;
      break;
    case "integer":
      s = rule ?? z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
      break;
    case "number":
      s = z.number().finite();
      break;
    case "boolean":
      s = z.boolean();
      break;
    case "timestamp":
      s = Iso;
      break;
    case "date":
      s = z.iso.date();
      break;
    case "json":
      s = rule ?? z.unknown();
      break;
  }
  return c.nullable ? s.nullable().optional() : s;
}

/** The row schema of a dataset: our columns, unknown ones dropped. */
function rowSchema(columns: readonly DumpColumn[]) {
  return z.object(Object.fromEntries(columns.map((c) => [c.name, typeSchema(c)])));
}

function sha256(buf: Buffer): string {
  return createHash("sha256").update(buf).digest("hex");
}

/**
 * Seeds a store from another fedimon's dumps, so a mirror starts with history: servers (due for a
 * poll at once, so the mirror's crawler takes over), their daily history and changes, network
 * rollups, concentration and hashtag counts. `dirOrUrl` is a set (holding manifest.json) or a dumps
 * root (holding latest.json), as a folder or an http(s) URL read through `opts.fetcher`.
 *
 * Every file used is checked against the manifest's SHA-256 and size before anything is written;
 * every row is checked against its dataset's columns (bad rows are counted and skipped) and domains
 * are normalised as the crawler does. The writes are one transaction. Refuses a store that already
 * knows servers unless `merge` is set.
 */
export async function importDumps(db: Db, dirOrUrl: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const log = opts.logger ?? nullLogger;
  const now = opts.now ?? new Date();
  const { source, manifest } = await openDumpLocation(dirOrUrl, opts);
  const files = new Map<DumpDatasetName, { buf: Buffer; entry: Manifest["datasets"][number] }>();
  for (const ds of DUMP_DATASETS) {
    const entry = manifest.datasets.find((d) => d.name === ds.name);
    if (!entry) {
      log.warn("dataset missing from the dumps", { dataset: ds.name });
      continue;
    }
    const file = entry.files.find((f) => f.format === "jsonl");
    if (!file) throw new Error(`${source.location}: ${ds.name} has no JSON Lines file`);
    const buf = await source.read(file.path);
    if (buf.length !== file.bytes || sha256(buf) !== file.sha256) {
      throw new Error(`${source.location}: ${file.path} does not match its checksum in manifest.json`);
    }
    files.set(ds.name, { buf, entry });
  }
  if (!opts.merge && (await countServers(db)) > 0) {
    throw new Error(
      "the store already knows servers: import seeds a fresh store (pass --merge to import anyway)",
    );
  }
  const results: ImportResult["datasets"] = [];
  await db.transaction(async (tx) => {
    for (const ds of DUMP_DATASETS) {
      const f = files.get(ds.name);
      if (!f) continue;
      const schema = rowSchema(ds.columns);
      let rows = 0;
      let imported = 0;
      let rejected = 0;
      let batch: Record<string, unknown>[] = [];
      const flush = async () => {
        imported += await importDumpRows(tx, ds.name, batch, now);
        batch = [];
      };
      for (const line of f.buf.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        rows++;
        const row = parseRow(line, schema, ds.name, opts.extraSuffixes ?? []);
        if (row === null) {
          rejected++;
          if (rejected <= 5) log.warn("row rejected", { dataset: ds.name, line: rows });
          continue;
        }
        batch.push(row);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      results.push({ name: ds.name, rows, imported, rejected });
      log.info("dataset imported", { dataset: ds.name, rows, imported, rejected });
    }
    await sealImportedHistory(tx, now);
  });
  return {
    location: source.location,
    generatedAt: manifest.generatedAt,
    datasets: results,
    millis: performance.now() - started,
  };
}

function parseRow(
  line: string,
  schema: z.ZodType,
  dataset: DumpDatasetName,
  extraSuffixes: readonly string[],
): Record<string, unknown> | null {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  const r = schema.safeParse(json);
  if (!r.success) return null;
  const row = r.data as Record<string, unknown>;
  for (const [k, v] of Object.entries(row)) if (v === undefined) row[k] = null;
  if (dataset === "servers") {
    const d = normalizeDomain(row.domain as string, { extraSuffixes });
    if (!d.ok || d.domain !== row.domain || d.network !== row.overlay) return null;
    row.registrable_domain = d.registrable;
  }
  return row;
}
