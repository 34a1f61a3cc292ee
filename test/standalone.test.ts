import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { envTrustingTestCa } from "../sim/tls/trust.js";

// Runs inside scripts/loopback-only.sh. The repository stands alone: a simulation started, served
// and crawled reads no file outside the repository (temporary files aside). A child process
// records every path it touches through node:fs (test/helpers/traced-sim-crawl.ts).

const ROOT = realpathSync(fileURLToPath(new URL("..", import.meta.url)));
const TMP = realpathSync(tmpdir());

describe("the repository stands alone", () => {
  it("a simulation start, a crawl of it and a streaming plan read nothing outside the repository", async () => {
    const env = envTrustingTestCa({ ...process.env, CRAWL_DB: "memory://" });
    delete env.FEDIMON_FIXTURES_DIR;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test", "helpers", "traced-sim-crawl.ts")],
      { cwd: ROOT, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const { polled, paths } = JSON.parse(stdout.trim().split("\n").pop()!) as {
      polled: { ok: number };
      paths: string[];
    };
    expect(polled.ok).toBeGreaterThan(20);
    // The trace works: the captured fixtures were read, from the repository.
    expect(paths.filter((p) => p.startsWith(join(ROOT, "sim", "fixtures") + sep)).length).toBeGreaterThan(50);
    const allowed = (p: string): boolean =>
      p === ROOT ||
      p.startsWith(ROOT + sep) ||
      p.startsWith(TMP + sep) ||
      p.startsWith(tmpdir() + sep) ||
      p === env.NODE_EXTRA_CA_CERTS;
    expect(paths.filter((p) => !allowed(p))).toEqual([]);
  });
});
