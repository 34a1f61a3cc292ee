/**
 * Bad input on every endpoint: a table built from the served OpenAPI document itself, so
 * every documented parameter of every route is covered: unknown, repeated, oversized, injected,
 * malformed and out-of-range values. Each must get a 400 with a readable message in the documented
 * error body: never a 500, never a stack trace or an internal detail. Then random values (fast-check)
 * on every parameter: never a 500. Then parameter fuzzing: for every operation, fast-check draws
 * several parameters at once, each either random text or a value shaped by its schema and bent
 * (enum members, integers at and past their bounds, calendar dates with impossible days and hours,
 * pagination cursors that decode to well-formed JSON with fuzzed fields); every answer a 200, 304,
 * 400 or 404 in the documented shape, never an error logged. It prints how many requests it made.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.js";
import { MemoryLogger } from "../src/core/log.js";
import type { Db } from "../src/db/db.js";
import { testBackends } from "../src/db/testing.js";
import { fillStore, type Filled } from "./api-fixture.js";
import { invalidity, request, startTestApi, validatorFor, type TestApi } from "./api-harness.js";

type Json = Record<string, unknown>;
interface Param {
  name: string;
  in: "query" | "path";
  schema: { type?: string; enum?: string[]; format?: string; minimum?: number; maximum?: number };
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

const INJECTED = [
  "' OR '1'='1",
  "1; DROP TABLE servers;--",
  "<script>alert(1)</script>",
  "%00",
  "a%00b",
  "../../etc/passwd",
  "${jndi:ldap://x/a}",
  "%E2%80%AEtxt",
  '{"$gt":""}',
  "%0d%0aSet-Cookie:%20x=1",
  "\\u0000",
];
const OVERSIZED = ["a".repeat(5_000), "1".repeat(400)];
const BAD_INT = ["0", "-1", "99999999999", "1.5", "1e3", "0x10", "%201", "", "NaN", "Infinity"];
const BAD_TIME = [
  "2026-02-30",
  "2026-13-01",
  "yesterday",
  "1999-12-31",
  "2100-01-01",
  "2026-03-01T10:00:00",
  "",
  "1741000000",
];
const BAD_ENUM = ["INVALID", "", "%20", "Users"];

describe("bad input on every endpoint", () => {
  let db: Db;
  let dispose: () => Promise<void>;
  let filled: Filled;
  let api: TestApi;
  let fuzzApi: TestApi | undefined;
  let doc: Json;
  const logger = new MemoryLogger();
  const clock = new ManualClock();

  beforeAll(async () => {
    ({ db, dispose } = await testBackends()[0]!.open());
    filled = await fillStore(db, { servers: 120, days: 4 });
    clock.set(filled.now);
    api = await startTestApi(db, clock, {}, logger);
    doc = (await request(`${api.url}/api/openapi.json`)).json<Json>();
  });
  afterAll(async () => {
    await api?.close();
    await fuzzApi?.close();
    await dispose?.();
  });

  function operations(): { path: string; params: Param[] }[] {
    const paths = doc.paths as Record<string, { get: { parameters?: Param[] } }>;
    return Object.entries(paths)
      .filter(([p]) => p.startsWith("/api/v1/"))
      .map(([path, item]) => ({ path, params: item.get.parameters ?? [] }));
  }

  const goodPath: Record<string, string> = {
    domain: "",
    software: "mastodon",
    version: "4.2.10",
    tag: "rust",
  };

  function fill(path: string, override?: [string, string]): string {
    return path.replace(/\{(\w+)\}/g, (_, name: string) =>
      override && override[0] === name ? override[1] : name === "domain" ? filled.sample : goodPath[name]!,
    );
  }

  function badValues(p: Param): string[] {
    const s = p.schema;
    const out = [...INJECTED, ...OVERSIZED];
    if (s.type === "integer") out.push(...BAD_INT);
    else if (s.format === "date-time") out.push(...BAD_TIME);
    else if (s.enum) out.push(...BAD_ENUM);
    return out;
  }

  /** The table: [description, url]. */
  function table(): [string, string][] {
    const rows: [string, string][] = [];
    for (const op of operations()) {
      const base = fill(op.path);
      rows.push([`${op.path} unknown parameter`, `${base}?zzz=1`]);
      rows.push([`${op.path} unknown parameter with a proto name`, `${base}?constructor=1`]);
      for (const p of op.params) {
        if (p.in === "query") {
          rows.push([`${op.path} ${p.name} repeated`, `${base}?${p.name}=1&${p.name}=2`]);
          for (const v of badValues(p)) {
            const enc = v.includes("%") ? v : encodeURIComponent(v);
            rows.push([`${op.path} ${p.name}=${v.slice(0, 30)}`, `${base}?${p.name}=${enc}`]);
          }
        } else {
          const pathBad =
            p.name === "domain"
              ? [
                  "a..b",
                  "-x.example",
                  "x".repeat(300),
                  "%00.example",
                  "a%2Fb.example",
                  "'%20OR%201=1",
                  "localhost",
                  "%E0%A4%A",
                ]
              : ["%3Cscript%3E", "x".repeat(300), "a%20b", "%00", "%E0%A4%A", "..%2F..%2Fetc"];
          if (p.name === "version") pathBad.push("abc", "4.2.x", "1.2.3.4.5");
          if (p.name === "tag") pathBad.push("%23rust", "a-b");
          for (const v of pathBad)
            rows.push([`${op.path} {${p.name}}=${v.slice(0, 30)}`, fill(op.path, [p.name, v])]);
        }
      }
    }
    const range = [
      "/api/v1/timeseries?from=2026-03-05&to=2026-03-01",
      "/api/v1/timeseries?step=hour&from=2026-01-01&to=2026-03-01",
      `/api/v1/servers/${filled.sample}/history?from=2026-03-05&to=2026-03-01`,
      "/api/v1/breakdowns/concentration?from=2026-03-05&to=2026-03-01",
      "/api/v1/hashtags/rust?from=2026-01-01&to=2026-06-01",
      "/api/v1/activity?step=hour&from=2026-01-01&to=2026-03-01",
      "/api/v1/activity?from=2026-03-05&to=2026-03-01",
      "/api/v1/servers?cursor=AAAA",
      `/api/v1/servers?sort=domain&cursor=${Buffer.from(JSON.stringify({ s: "users", o: "desc", v: 1, d: "a" })).toString("base64url")}`,
      `/api/v1/servers?cursor=${Buffer.from(JSON.stringify({ s: "users", o: "desc", v: 1e300, d: "a" })).toString("base64url")}`,
      `/api/v1/servers?cursor=${Buffer.from("{".repeat(200)).toString("base64url")}`,
      "/api/v1/servers?limit=201",
      "/api/v1/servers?q=%E0%A4%A",
    ];
    for (const url of range) rows.push([`semantic ${url.slice(0, 60)}`, url]);
    return rows;
  }

  it("answers every row of the table with a readable 400 in the documented error body", async () => {
    const rows = table();
    expect(rows.length).toBeGreaterThan(600);
    const errorValidator = validatorFor(doc, "/api/v1/servers", "400");
    const failures: string[] = [];
    for (const [what, url] of rows) {
      const r = await request(`${api.url}${url}`);
      const problem =
        r.status !== 400
          ? `status ${r.status}`
          : !String(r.headers["content-type"]).startsWith("application/json")
            ? "not JSON"
            : (invalidity(errorValidator, r.json()) ??
              (/\n\s+at |node_modules|\.ts:\d|ZodError|TypeError|pglite|postgres|SELECT|syntax error/i.test(
                r.text,
              )
                ? `leaks internals: ${r.text.slice(0, 200)}`
                : r.json<{ message: string }>().message.length < 10
                  ? "message too short"
                  : null));
      if (problem) failures.push(`${what} → ${problem}`);
    }
    expect(failures).toEqual([]);
    expect(logger.lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("names the parameter and the rule in the message, without echoing the value", async () => {
    const r = await request(`${api.url}/api/v1/servers?limit=${encodeURIComponent("<b>9999</b>")}`);
    const msg = r.json<{ message: string }>().message;
    expect(msg).toBe("invalid query: limit: must be a whole number from 1 to 200");
    const u = await request(`${api.url}/api/v1/timeseries?metrc=users`);
    expect(u.json<{ message: string }>().message).toContain(
      'unknown parameter "metrc" (known: metric, by, step, from, to, top)',
    );
    const d = await request(`${api.url}/api/v1/servers?sort=users&sort=domain`);
    expect(d.json<{ message: string }>().message).toBe("invalid query: sort: give this parameter once");
  });

  it("never answers 500 to random values of any parameter (fast-check)", async () => {
    const seen = new Set<number>();
    for (const op of operations()) {
      for (const p of op.params) {
        await fc.assert(
          fc.asyncProperty(fc.string({ maxLength: 80, unit: "binary" }), async (v) => {
            let enc: string;
            try {
              enc = encodeURIComponent(v);
            } catch {
              return; // a lone surrogate cannot be sent in a URL at all
            }
            const url = p.in === "query" ? `${fill(op.path)}?${p.name}=${enc}` : fill(op.path, [p.name, enc]);
            const r = await request(`${api.url}${url}`);
            seen.add(r.status);
            expect([200, 400, 404], `${url} → ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
          }),
          { numRuns: 15, seed: 42 },
        );
      }
    }
    expect(seen.has(400)).toBe(true);
    expect(logger.lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("refuses a well-formed cursor holding an impossible date with a 400", async () => {
    // The response cache off for these two: every request reaches the handler and the store.
    fuzzApi = await startTestApi(db, clock, { cache: false }, logger);
    for (const v of ["2026-02-31T00:00:00.000Z", "2026-06-31T10:00:00.000Z", "2026-01-01T24:00:00.000Z"]) {
      const cursor = Buffer.from(JSON.stringify({ s: "first_seen", o: "asc", v, d: "a.example" })).toString(
        "base64url",
      );
      const r = await request(`${fuzzApi!.url}/api/v1/servers?sort=first_seen&order=asc&cursor=${cursor}`);
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
            const r = await request(`${fuzzApi!.url}${url}`);
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
