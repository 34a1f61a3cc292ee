// The compose files start and crawl the simulation (docs/deploy.md, "Compose with the
// simulation"). Opt-in: it needs Docker with Compose and the images already on the machine
// (fedimon:local built from deploy/Dockerfile, and PostgreSQL's), because building or pulling
// would reach registries. Run it with FEDIMON_COMPOSE_TEST=1; it never builds and never pulls.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = ["-f", "deploy/compose.yaml", "-f", "deploy/compose.sim.yaml"];
const project = `fedimon-test-${process.pid}`;
const env = {
  ...process.env,
  FEDIMON_CONTACT: "test@localhost",
  FEDIMON_PORT: String(20_000 + (process.pid % 10_000)),
};

function docker(
  args: string[],
  timeoutMillis = 120_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("docker", args, { cwd: root, env, encoding: "utf8", timeout: timeoutMillis });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}
const compose = (args: string[], timeoutMillis?: number): ReturnType<typeof docker> =>
  docker(["compose", "-p", project, ...files, ...args], timeoutMillis);

const haveImages = (): boolean =>
  ["fedimon:local", "postgres:16.6-bookworm"].every(
    (image) => docker(["image", "inspect", image], 10_000).status === 0,
  );
const enabled =
  process.env.FEDIMON_COMPOSE_TEST === "1" &&
  docker(["compose", "version"], 10_000).status === 0 &&
  haveImages();

describe.skipIf(!enabled)("compose with the simulation", () => {
  it("starts PostgreSQL, the simulation, run and two crawlers, and crawls the simulation", async () => {
    try {
      const up = compose(["up", "-d", "--no-build", "--pull", "never", "--wait"], 300_000);
      expect(up.status, up.stderr).toBe(0);
      const sql = (q: string): string =>
        compose([
          "exec",
          "-T",
          "postgres",
          "psql",
          "-U",
          "fedimon",
          "-d",
          "fedimon",
          "-tAc",
          q,
        ]).stdout.trim();
      // Within a few minutes a good share of the 2,000 servers has answered.
      const deadline = Date.now() + 300_000;
      let ok = 0;
      while (Date.now() < deadline && ok < 500) {
        await new Promise((r) => setTimeout(r, 5_000));
        ok = Number(sql("SELECT count(*) FROM servers WHERE outcome = 'ok'") || 0);
      }
      expect(ok).toBeGreaterThanOrEqual(500);
      // The polls are in the history.
      expect(Number(sql("SELECT count(*) FROM observations") || 0)).toBeGreaterThan(0);
      const health = compose([
        "exec",
        "-T",
        "app",
        "node",
        "-e",
        "fetch('http://127.0.0.1:8080/healthz').then(r=>r.json()).then(j=>console.log(JSON.stringify(j)))",
      ]);
      expect(JSON.parse(health.stdout) as { status: string }).toMatchObject({ status: "ok" });
      // Both workers are still running (neither exited nor restarted in a loop).
      const running = compose(["ps", "--status", "running", "--services"]).stdout.split("\n");
      for (const service of ["sim", "app", "crawl-1", "crawl-2"]) expect(running, service).toContain(service);
    } finally {
      compose(["down", "-v", "--timeout", "15"], 120_000);
    }
  }, 900_000);
});
