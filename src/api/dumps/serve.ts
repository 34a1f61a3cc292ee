import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { notFound } from "../errors.js";
import type { ApiContext } from "../options.js";
import { etagMatches } from "../response-cache.js";
import { DateTime, named } from "../schemas/common.js";
import { CC0_NOTICE, isSetId, LatestPointer } from "./manifest.js";

/**
 * `/dumps/`: the dump sets, read-only. `/dumps/` lists the sets, `/dumps/latest.json` names the
 * newest, `/dumps/<set>/<file>` serves a file of a set (immutable once written). Names are checked
 * against the set and file patterns before the file system is touched.
 */

/** The `/dumps/` index. */
export const DumpsIndex = named(
  "DumpsIndex",
  z.object({
    license: z.string(),
    latest: z.object({ set: z.string(), generatedAt: DateTime, manifest: z.string() }).nullable(),
    sets: z.array(z.object({ id: z.string(), manifest: z.string() })),
  }),
  "The dump sets this instance serves (CC0). Import one with `fedimon import URL`.",
);

const FILE_RE = /^[a-z0-9][a-z0-9_-]{0,80}\.(csv|jsonl|parquet|json)$/;
const TYPES: Record<string, string> = {
  csv: "text/csv; charset=utf-8",
  jsonl: "application/jsonl; charset=utf-8",
  parquet: "application/vnd.apache.parquet",
  json: "application/json; charset=utf-8",
};

async function latest(dir: string): Promise<z.infer<typeof LatestPointer> | null> {
  try {
    const r = LatestPointer.safeParse(JSON.parse(await readFile(join(dir, "latest.json"), "utf8")));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

async function sendFile(req: FastifyRequest, reply: FastifyReply, path: string, cacheControl: string) {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw notFound("no such file");
  }
  if (!info.isFile()) throw notFound("no such file");
  const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
  reply.header("etag", etag).header("cache-control", cacheControl);
  // Answered before the file is opened, by the rule every route's 304 follows (app.ts).
  if (etagMatches(req.headers["if-none-match"], etag)) return reply.code(304).send();
  const ext = path.slice(path.lastIndexOf(".") + 1);
  reply.type(TYPES[ext] ?? "application/octet-stream");
  if (req.method === "HEAD") return reply.header("content-length", info.size).send();
  return reply.header("content-length", info.size).send(createReadStream(path));
}

/** Registers the `/dumps/` routes; without a dumps folder they answer 404. */
export function registerDumpRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const dir = ctx.options.dumpsDir;
  app.get("/dumps/", async (_req, reply) => {
    if (!dir) throw notFound("this instance publishes no dumps");
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      names = [];
    }
    const sets = names.filter(isSetId).sort().reverse();
    reply.header("cache-control", "public, max-age=300");
    return {
      license: CC0_NOTICE,
      latest: await latest(dir),
      sets: sets.map((id) => ({ id, manifest: `/dumps/${id}/manifest.json` })),
    } satisfies z.input<typeof DumpsIndex>;
  });
  app.get("/dumps/latest.json", async (req, reply) => {
    if (!dir) throw notFound("this instance publishes no dumps");
    return sendFile(req, reply, join(dir, "latest.json"), "public, max-age=300");
  });
  app.get<{ Params: { set: string; file: string } }>("/dumps/:set/:file", async (req, reply) => {
    if (!dir) throw notFound("this instance publishes no dumps");
    const { set, file } = req.params;
    if (!isSetId(set) || !FILE_RE.test(file)) throw notFound("no such file");
    return sendFile(req, reply, join(dir, set, file), "public, max-age=86400, immutable");
  });
}
