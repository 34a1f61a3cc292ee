import Fastify from "fastify";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerWebRoutes } from "./web.js";

describe("web dashboard files", () => {
  const dir = mkdtempSync(join(tmpdir(), "fedimon-webdir-"));
  mkdirSync(join(dir, "assets"));
  mkdirSync(join(dir, ".vite"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>dash</title>");
  writeFileSync(join(dir, "assets", "index-abc.js"), "console.log(1)");
  writeFileSync(join(dir, ".vite", "manifest.json"), "{}");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the build's index at / and its hashed assets for a year, with a strict CSP", async () => {
    const app = Fastify();
    registerWebRoutes(app, dir);
    const index = await app.inject("/");
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain("<title>dash</title>");
    expect(index.headers["content-type"]).toContain("text/html");
    expect(index.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(index.headers["content-security-policy"]).not.toMatch(/https?:/);
    const js = await app.inject("/assets/index-abc.js");
    expect(js.headers["content-type"]).toContain("text/javascript");
    expect(js.headers["cache-control"]).toContain("immutable");
    // The build's manifest stays private; nothing outside the build is reachable.
    expect((await app.inject("/.vite/manifest.json")).statusCode).toBe(404);
    expect((await app.inject("/assets/../index.html")).statusCode).not.toBe(500);
    expect((await app.inject("/assets/missing.js")).statusCode).toBe(404);
  });

  it("says the dashboard was not built when there is no build", async () => {
    const app = Fastify();
    registerWebRoutes(app, null);
    const index = await app.inject("/");
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain("npm run build");
  });
});
