// The compose files start and crawl the simulation (docs/deploy.md, "Compose with the
// simulation"). Opt-in: it needs a Docker engine with Compose v2 and the images already on the
// machine (fedimon:local built from deploy/Dockerfile, and the PostgreSQL image named by
// POSTGRES_IMAGE, default postgres:16.6-bookworm), because building or pulling would reach
// registries. Run it with FEDIMON_COMPOSE_TEST=1; it never builds and never pulls.
//
// It runs the stack with deploy/compose.sim-loopback.yaml on top, so no container has any network
// but a loopback (PostgreSQL joins the simulation's namespace) and no compose network is created.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [
  "-f",
  "deploy/compose.yaml",
  "-f",
  "deploy/compose.sim.yaml",
  "-f",
  "deploy/compose.sim-loopback.yaml",
];
const project = `fedimon-test-${process.pid}`;
const postgresImage = process.env.POSTGRES_IMAGE ?? "postgres:16.6-bookworm";
const env = { ...process.env, FEDIMON_CONTACT: "test@localhost", POSTGRES_IMAGE: postgresImage };

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
  ["fedimon:local", postgresImage].every((image) => docker(["image", "inspect", image], 10_000).status === 0);
const enabled =
  process.env.FEDIMON_COMPOSE_TEST === "1" &&
  docker(["info"], 10_000).status === 0 &&
  docker(["compose", "version"], 10_000).status === 0 &&
  haveImages();

const sleep = (millis: number): Promise<void> => new Promise((r) => setTimeout(r, millis));

describe.skipIf(!enabled)("compose with the simulation", () => {
  it("starts PostgreSQL, the simulation, run and two crawlers, crawls the simulation, and stops a worker cleanly", async () => {
    try {
      // Not `--wait`: it refuses services whose healthcheck is disabled (the crawler workers).
      const up = compose(["up", "-d", "--no-build", "--pull", "never"], 300_000);
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
      const api = (path: string): string =>
        compose([
          "exec",
          "-T",
          "app",
          "node",
          "-e",
          `fetch('http://127.0.0.1:8080${path}').then(r=>r.text()).then(t=>process.stdout.write(t))`,
        ]).stdout;

      // Within a few minutes a good share of the 2,000 servers has answered.
      const deadline = Date.now() + 300_000;
      let ok = 0;
      while (Date.now() < deadline && ok < 500) {
        await sleep(5_000);
        ok = Number(sql("SELECT count(*) FROM servers WHERE outcome = 'ok'") || 0);
      }
      expect(ok).toBeGreaterThanOrEqual(500);
      // Every crawling process wrote observations under its own worker id.
      const byWorker = new Map(
        sql("SELECT worker_id, count(*) FROM observations GROUP BY 1")
          .split("\n")
          .filter(Boolean)
          .map((line) => line.split("|") as [string, string]),
      );
      for (const worker of ["app", "crawl-1", "crawl-2"])
        expect(Number(byWorker.get(worker) ?? 0), worker).toBeGreaterThan(0);
      // The API answers from the same database and counts the servers.
      expect(JSON.parse(api("/healthz")) as { status: string }).toMatchObject({ status: "ok" });
      const summary = JSON.parse(api("/api/v1/summary")) as { servers: { total: number } };
      expect(summary.servers.total).toBeGreaterThanOrEqual(500);
      // Nothing exited or restarted in a loop.
      const running = compose(["ps", "--status", "running", "--services"]).stdout.split("\n");
      for (const service of ["postgres", "sim", "app", "crawl-1", "crawl-2"])
        expect(running, service).toContain(service);
      // No container has an interface but its loopback.
      const devices = compose(["exec", "-T", "app", "cat", "/proc/net/dev"]).stdout;
      const interfaces = [...devices.matchAll(/^\s*([^\s:]+):/gm)].map((m) => m[1]);
      expect(interfaces).toEqual(["lo"]);

      // The image logs JSON (FEDIMON_LOG_FORMAT=json): every line the fedimon services wrote is a
      // JSON object. (`docker logs`, not `docker compose logs`, which puts escape codes before lines.)
      const containerOf = (service: string): string => compose(["ps", "-a", "-q", service]).stdout.trim();
      for (const service of ["app", "crawl-1", "crawl-2"]) {
        const out = docker(["logs", containerOf(service)]);
        const lines = `${out.stdout}\n${out.stderr}`.split("\n").filter((l) => l.trim() !== "");
        expect(lines.length, service).toBeGreaterThan(0);
        expect(
          lines.filter((l) => !l.startsWith("{")),
          service,
        ).toEqual([]);
      }

      // SIGTERM (`docker compose stop`) mid-pass: the worker exits 0 within 10 s and holds no lease.
      const started = Date.now();
      const stop = compose(["stop", "-t", "15", "crawl-1"], 60_000);
      const stopMillis = Date.now() - started;
      expect(stop.status, stop.stderr).toBe(0);
      expect(stopMillis).toBeLessThan(10_000);
      expect(docker(["inspect", "-f", "{{.State.ExitCode}}", containerOf("crawl-1")]).stdout.trim()).toBe(
        "0",
      );
      expect(
        sql("SELECT count(*) FROM servers WHERE lease_owner = 'crawl-1' AND lease_expires_at > now()"),
      ).toBe("0");
      expect(compose(["logs", "--no-log-prefix", "crawl-1"]).stdout).toMatch(
        /"msg":"crawl stopped: polled \d+ servers/,
      );
    } finally {
      compose(["down", "-v", "--timeout", "15"], 120_000);
    }
  }, 900_000);
});
