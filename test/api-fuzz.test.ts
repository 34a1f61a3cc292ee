/**
 * Parameter fuzzing from the served OpenAPI document: for every operation, fast-check draws
 * several parameters at once, each either random text or a value shaped by its schema and bent
 * (enum members, integers at and past their bounds, calendar dates with impossible days and hours,
 * pagination cursors that decode to well-formed JSON with fuzzed fields). Every answer must be a
 * 200, 304, 400 or 404, and every error the documented `{status, code, message}` body: never a
 * 500, never an error logged. Prints how many requests it made.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.js";
import { MemoryLogger } from "../src/core/log.js";
import type { Db } from "../src/store/db.js";
import { testBackends } from "../src/store/testing.js";
import { fillStore, type Filled } from "./api-fixture.js";
import { invalidity, request, startTestApi, validatorFor, type TestApi } from "./api-harness.js";

type Json = Record<string, unknown>;
interface Schema {
  type?: string;
  enum?: string[];
  format?: string;
  minimum?: number;
  maximum?: number;
}
interface Param {
  name: string;
  in: "query" | "path";
  schema: Schema;
}

/** Runs per operation: about 1,500 requests in all, about ten seconds on the embedded store. */
const RUNS_PER_OPERATION = 80;

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** Calendar-shaped text with fields drawn past their ranges (2026-02-31, 24:60, month 13 ...). */
const dateText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(0, 1, 1969, 1970, 2000, 2024, 2025, 2026, 2027, 9999),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.option(
      fc.tuple(
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.constantFrom("Z", "+00:00", "-23:59", "+24:00", ".999Z", ".000Z"),
      ),
    ),
  )
  .map(([y, m, d, t]) => {
    const day = `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
    return t ? `${day}T${pad(t[0])}:${pad(t[1])}:${pad(t[2])}${t[3]}` : day;
  });

const SORTS = ["users", "active_month", "posts", "peers", "domain", "first_seen", "last_seen", "x"];

/** A cursor that decodes to JSON of the right shape, with each field fuzzed. */
const cursorText: fc.Arbitrary<string> = fc
  .record(
    {
      s: fc.constantFrom(...SORTS),
      o: fc.constantFrom("asc", "desc", "up"),
      v: fc.oneof(
        dateText.map((d) =>
          d.length === 10 ? `${d}T00:00:00.000Z` : d.replace(/(Z|[+-]\d\d:\d\d)$/, ".000Z"),
        ),
        fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
        fc.constant(null),
        fc.string({ maxLength: 30, unit: "binary" }),
        fc.double(),
      ),
      d: fc.oneof(fc.domain(), fc.string({ maxLength: 40, unit: "binary" })),
      extra: fc.constant(1),
    },
    { requiredKeys: ["s", "o", "v", "d"] },
  )
  .map((o) => Buffer.from(JSON.stringify(o), "utf8").toString("base64url"));

/** A value for one parameter: shaped by its schema (and bent), or anything at all. */
function valueFor(p: Param, sample: string): fc.Arbitrary<string> {
  const s = p.schema;
  const shaped: fc.Arbitrary<string>[] = [fc.string({ maxLength: 60, unit: "binary" })];
  if (s.enum)
    shaped.push(
      fc.constantFrom(...s.enum),
      fc.constantFrom(...s.enum).map((e) => e.toUpperCase()),
    );
  if (s.type === "integer") {
    const lo = s.minimum ?? 0;
    const hi = s.maximum ?? 1000;
    shaped.push(fc.integer({ min: lo - 2, max: hi + 2 }).map(String), fc.bigInt().map(String));
  }
  if (s.format === "date-time") shaped.push(dateText);
  if (p.name === "cursor") shaped.push(cursorText, cursorText, cursorText);
  if (p.name === "domain" || p.name === "origin") shaped.push(fc.constant(sample), fc.domain());
  if (p.name === "version") shaped.push(fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map((v) => v.join(".")));
  return fc.oneof(...shaped);
}

describe("API parameter fuzzing from the OpenAPI document", () => {
  let db: Db;
  let dispose: () => Promise<void>;
  let filled: Filled;
  let api: TestApi;
  let doc: Json;
  const logger = new MemoryLogger();
  const clock = new ManualClock();

  beforeAll(async () => {
    ({ db, dispose } = await testBackends()[0]!.open());
    filled = await fillStore(db, { servers: 60, days: 3 });
    clock.set(filled.now);
    // The response cache off: every request reaches the handler and the store.
    api = await startTestApi(db, clock, { cache: false }, logger);
    doc = (await request(`${api.url}/api/openapi.json`)).json<Json>();
  });
  afterAll(async () => {
    await api?.close();
    await dispose?.();
  });

  it("refuses a well-formed cursor holding an impossible date with a 400", async () => {
    for (const v of ["2026-02-31T00:00:00.000Z", "2026-06-31T10:00:00.000Z", "2026-01-01T24:00:00.000Z"]) {
      const cursor = Buffer.from(JSON.stringify({ s: "first_seen", o: "asc", v, d: "a.example" })).toString(
        "base64url",
      );
      const r = await request(`${api.url}/api/v1/servers?sort=first_seen&order=asc&cursor=${cursor}`);
      expect(r.status, `${v}: ${r.text.slice(0, 200)}`).toBe(400);
      expect(r.json<Json>()).toMatchObject({ status: 400, code: "invalid_parameter" });
    }
  });

  it("never answers 500 to any mix of fuzzed parameters of any operation", async () => {
    const errorValidator = validatorFor(doc, "/api/v1/servers", "400");
    const paths = doc.paths as Record<string, { get: { parameters?: Param[] } }>;
    const statuses = new Map<number, number>();
    let requests = 0;
    for (const [path, item] of Object.entries(paths)) {
      if (!path.startsWith("/api/v1/")) continue;
      const params = item.get.parameters ?? [];
      const query = params.filter((p) => p.in === "query");
      const inPath = params.filter((p) => p.in === "path");
      const pick = fc.record(
        Object.fromEntries(query.map((p) => [p.name, fc.option(valueFor(p, filled.sample), { freq: 2 })])),
      );
      const pathValues = fc.tuple(...inPath.map((p) => valueFor(p, filled.sample)));
      await fc
        .assert(
          fc.asyncProperty(pick, pathValues, async (q, pv) => {
            let url = path;
            inPath.forEach((p, i) => {
              url = url.replace(`{${p.name}}`, encodeURIComponent(pv[i]!) || "x");
            });
            const search = Object.entries(q)
              .filter((e): e is [string, string] => typeof e[1] === "string")
              .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
              .join("&");
            if (search) url += `?${search}`;
            const r = await request(`${api.url}${url}`);
            requests++;
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            expect([200, 304, 400, 404], `${url} → ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
            if (r.status >= 400) expect(invalidity(errorValidator, r.json()), url).toBe(null);
          }),
          { numRuns: RUNS_PER_OPERATION, seed: 20260231 },
        )
        .catch((err: unknown) => {
          // fast-check's report names the operation only through the URL; keep it in the failure.
          throw new Error(`${path}: ${(err as Error).message.slice(0, 2000)}`);
        });
    }
    // eslint-disable-next-line no-console -- the fault suite prints what it tried
    console.log(
      `api fuzz: ${requests} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    expect(statuses.get(200) ?? 0).toBeGreaterThan(100);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
    expect(logger.lines.filter((l) => l.level === "error")).toEqual([]);
  });
});
