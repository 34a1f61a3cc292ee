/**
 * The API of `fedimon run` in its own thread: while the main thread (the crawler's) is blocked,
 * cached answers still come at once; queries reach the embedded store through the main thread;
 * errors keep their shape; closing ends the thread.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiThread, type ApiThread } from "../src/api/thread.js";
import { defaultConfig } from "../src/config/config.js";
import { nullLogger } from "../src/core/log.js";
import type { Db } from "../src/db/db.js";
import { openDb } from "../src/db/open.js";
import { fillStore } from "./api-fixture.js";
import { request } from "./api-harness.js";

/** Requests from another process, one after another, each one's time in ms. */
const CLIENT = `
const url = process.argv[1];
const n = Number(process.argv[2]);
(async () => {
  const times = [];
  process.stdout.write("go\\n");
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error("status " + r.status);
    times.push(Math.round(performance.now() - t));
    await new Promise((ok) => setTimeout(ok, 20));
  }
  process.stdout.write(JSON.stringify(times) + "\\n");
})();
`;

describe("the API in its own thread", () => {
  let db: Db;
  let api: ApiThread;

  beforeAll(async () => {
    db = await openDb("memory://");
    await fillStore(db, { servers: 40, days: 2 });
    api = await startApiThread({
      config: defaultConfig({ port: 0, logLevel: "silent" }),
      logger: nullLogger,
      db,
      api: { rateLimitPerMinute: 0, dumpsDir: null },
      jobs: false,
    });
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
  });

  it("answers from its cache while the main thread is busy", async () => {
    const url = `${api.url}/api/v1/summary`;
    expect((await request(url)).status).toBe(200); // fills the cache (a query through the main thread)
    const child = spawn(process.execPath, ["-e", CLIENT, url, "20"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("go\n")) resolve();
      }),
    );
    // The crawler's worst: the main thread's event loop held for 1.5 s.
    const until = performance.now() + 1_500;
    while (performance.now() < until) {
      /* busy */
    }
    await new Promise((resolve) => child.once("exit", resolve));
    const times = JSON.parse(out.split("\n")[1]!) as number[];
    process.stderr.write(
      `api thread: 20 requests while the main thread was blocked: ${JSON.stringify(times)} ms\n`,
    );
    expect(times).toHaveLength(20);
    // In-process, requests made during the block waited for it (over a second).
    expect(Math.max(...times)).toBeLessThan(500);
  });

  it("reaches the embedded store through the main thread, and keeps the error shape", async () => {
    const servers = await request(`${api.url}/api/v1/servers?limit=5`);
    expect(servers.status).toBe(200);
    expect(servers.json<{ items: unknown[] }>().items).toHaveLength(5);
    const health = await request(`${api.url}/healthz`);
    expect(health.json()).toMatchObject({ status: "ok", store: { kind: "pglite", reachable: true } });
    const bad = await request(`${api.url}/api/v1/servers?limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ status: 400, code: "invalid_parameter" });
  });

  it("refuses a port already taken with a clear error", async () => {
    const port = Number(new URL(api.url).port);
    await expect(
      startApiThread({
        config: defaultConfig({ port, logLevel: "silent" }),
        logger: nullLogger,
        db,
        api: { dumpsDir: null },
        jobs: false,
      }),
    ).rejects.toThrow(/EADDRINUSE|address already in use/);
  });
});
