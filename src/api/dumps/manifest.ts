import { z } from "zod";

/**
 * The manifest of a dump set (`manifest.json`): what each dataset holds, its columns, its row
 * count, and each file's size and SHA-256; when and by what it was generated; and the CC0 notice.
 * The same schema checks a manifest an import reads from another fedimon.
 */

/** The dump format this code writes and reads. */
export const DUMP_FORMAT = "fedimon-dumps";
/** Its version: bumped when a reader of the previous version would misread a set. */
export const DUMP_FORMAT_VERSION = 1;

/** The public-domain dedication every set carries. */
export const CC0_NOTICE =
  "To the extent possible under law, the operators of this fedimon instance have waived all copyright and " +
  "related or neighbouring rights to this data (CC0 1.0 Universal). It holds public, aggregate and per-server " +
  "figures only: no posts, no accounts, no peers lists.";

/** File formats in a set. */
export const DUMP_FILE_FORMATS = ["csv", "jsonl", "parquet"] as const;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** A file name inside a set: no folders, no dot files. */
const FileName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/);

/** The manifest schema. */
export const Manifest = z.object({
  format: z.literal(DUMP_FORMAT),
  formatVersion: z.literal(DUMP_FORMAT_VERSION),
  generatedAt: z.iso.datetime(),
  generator: z.string().max(200),
  source: z.string().max(500).nullable(),
  license: z.object({ id: z.literal("CC0-1.0"), url: z.string().max(200), notice: z.string().max(2000) }),
  datasets: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
        description: z.string().max(1000),
        rows: z.number().int().min(0),
        columns: z
          .array(
            z.object({
              name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
              type: z.enum(["string", "integer", "number", "boolean", "timestamp", "date", "json"]),
              nullable: z.boolean(),
              description: z.string().max(1000),
            }),
          )
          .max(200),
        files: z
          .array(
            z.object({
              format: z.enum(DUMP_FILE_FORMATS),
              path: FileName,
              bytes: z.number().int().min(0),
              sha256: Sha256,
            }),
          )
          .max(10),
      }),
    )
    .max(50),
});

/** A manifest. */
export type Manifest = z.infer<typeof Manifest>;

/** The pointer to the newest set at the root of a dumps folder (`latest.json`). */
export const LatestPointer = z.object({
  set: z.string().regex(/^[0-9]{8}T[0-9]{6}Z$/),
  generatedAt: z.iso.datetime(),
  manifest: z.string().max(200),
});

/** The pointer's type. */
export type LatestPointer = z.infer<typeof LatestPointer>;

/** A set's id from its generation time: `20260131T030000Z`. */
export function setIdOf(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

/** Whether a string is a set id. */
export function isSetId(s: string): boolean {
  return /^[0-9]{8}T[0-9]{6}Z$/.test(s);
}
