/**
 * Bad input on every endpoint: a table built from the served OpenAPI document itself, so
 * every documented parameter of every route is covered: unknown, repeated, oversized, injected,
 * malformed and out-of-range values. Each must get a 400 with a readable message in the documented
 * error body: never a 500, never a stack trace or an internal detail. Then random values (fast-check)
 * on every parameter: never a 500.
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
interface Param {
  name: string;
  in: "query" | "path";
  schema: { type?: string; enum?: string[]; format?: string; minimum?: number; maximum?: number };
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
});
