/**
 * `fedimon crawl --once` as a user runs it (the CLI in its own process) against a simulated
 * fediverse whose DNS server drops questions under a burst, with a server that resets every
 * connection and one whose robots.txt answers 503; then the API over the same data folder. Shows
 * that a slow DNS server makes no healthy server a DNS failure, that every request is counted
 * (robots.txt included) and equals what the servers received, that a down server is recorded as
 * what happened to it and never as an opt-out, that the summary's buckets add up, that logs are
 * JSON lines without duplicated keys off a terminal and readable lines that never glue onto the
 * progress line on one, and that a seed nobody can reach says so and exits 1.
 * Inside the loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run --project integration test/crawl-cli.test.ts
 */
import { spawn } from "node:child_process";
import type { SimResponse } from "../sim/router.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { envTrustingTestCa } from "../sim/tls/trust.js";
import { startApiServer, type ApiServer } from "../src/api/index.js";
import { defaultConfig } from "../src/config/config.js";
import { nullLogger } from "../src/core/log.js";
import { openDb, type Db } from "../src/db/index.js";
import { ServerStore, type ServerRecord } from "../src/crawl/store/index.js";
import { allServers } from "./helpers/crawl-sim.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers, checked field by field
type Json = Record<string, any>;

const RESET_HOST = "down-reset.social";
const ROBOTS_503_HOST = "robots-503.social";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { tty?: boolean } = {}): Promise<Run> {
  const command = [process.execPath, "--import", "tsx", "src/cli/main.ts", ...args];
  // `script` gives the CLI a pseudo-terminal as stdout and stderr (both end up in its output).
  const [file, argv] = opts.tty
    ? ["script", ["-qec", command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" "), "/dev/null"]]
    : [command[0]!, command.slice(1)];
  const env = { ...envTrustingTestCa(), COLUMNS: "200", FEDIMON_DEBUG: "" };
  const child = spawn(file, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("fedimon crawl --once against a simulation with a DNS server slow under a burst", () => {
  let sim: Sim;
  let dir: string;
  let first: Run;
  let summary: {
    polled: number;
    ok: number;
    requests: number;
    requestsByKind: Record<string, number>;
    failuresByOutcome: Record<string, number>;
  };
  let simRequests: number;
  let stored: ServerRecord[];
  const common = (): string[] => [
    "--db",
    dir,
    "--dns-server",
    sim.dnsServer,
    "--only-networks",
    "127.0.0.0/8",
    "--concurrency",
    "128",
  ];

  beforeAll(async () => {
    sim = await startSim({
      servers: 120,
      seed: "crawl-cli",
      faultRate: 0,
      latencyMillis: [1, 20],
      spamFarm: false,
      dnsBurst: { limit: 24, windowMillis: 100, mode: "drop" },
    });
    sim.addHost(RESET_HOST);
    sim.addHost(ROBOTS_503_HOST);
    sim.addRoute((req): SimResponse | null => {
      if (req.host === RESET_HOST) {
        req.raw.socket.destroy(); // the server is down: every connection reset
        return { status: 500, headers: { "content-type": "text/plain" }, body: "" };
      }
      if (req.host === ROBOTS_503_HOST && req.path === "/robots.txt")
        return { status: 503, headers: { "content-type": "text/plain" }, body: "down for maintenance" };
      return null;
    });
    dir = mkdtempSync(join(tmpdir(), "fedimon-crawl-cli-"));
    sim.log.clear();
    // On a pseudo-terminal, as a user at a terminal runs it (stdout and stderr both end up there).
    first = await cli(
      [
        "crawl",
        "--once",
        "--json",
        ...common(),
        "--seed",
        [sim.seedDomain, RESET_HOST, ROBOTS_503_HOST].join(","),
      ],
      { tty: true },
    );
    simRequests = sim.log.size;
    const line = first.stdout.split(/\r?\n/).find((l) => l.startsWith('{"startedAt"'));
    summary = JSON.parse(line ?? "{}") as typeof summary;
    const db = await openDb(dir);
    try {
      stored = await allServers(new ServerStore(db));
    } finally {
      await db.close();
    }
  }, 240_000);

  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("records no healthy server as a DNS failure, though the DNS server dropped questions", () => {
    expect(first.code, first.stdout.slice(-2000)).toBe(0);
    expect(sim.dnsOverBurst()).toBeGreaterThan(0);
    const healthy = stored.filter((s) => sim.faultOf(s.domain) === null && s.outcome !== null);
    expect(healthy.length).toBeGreaterThan(80);
    const dns = healthy.filter((s) => s.outcome === "dns_error" || s.outcome === "dns_not_found");
    expect(dns.map((s) => `${s.domain}: ${s.outcomeDetail}`)).toEqual([]);
  });

  it("counts every request by kind, robots.txt included, as many as the servers received", () => {
    expect(summary.requests).toBe(simRequests);
    const byKind = summary.requestsByKind;
    expect(Object.values(byKind).reduce((a, b) => a + b, 0)).toBe(summary.requests);
    expect(byKind.robots).toBeGreaterThanOrEqual(summary.polled - 5);
    for (const kind of ["discovery", "nodeinfo", "instance", "peers"])
      expect(byKind[kind]).toBeGreaterThan(0);
    // The closing line names them too, and the buckets: polled = ok + failed this pass.
    expect(first.stdout).toMatch(/requests \d+ \(robots \d+, discovery \d+, nodeinfo \d+, instance \d+/);
    expect(first.stdout).toMatch(/\/s over [\d.]+ s busy\): ok \d+, failed this pass \d+/);
  });

  it("records a server that resets connections, and one whose robots.txt answers 503, as what happened", () => {
    const reset = stored.find((s) => s.domain === RESET_HOST);
    const r503 = stored.find((s) => s.domain === ROBOTS_503_HOST);
    expect(reset).toMatchObject({ outcome: "http_error", httpStatus: null });
    expect(reset?.outcomeDetail).toMatch(
      /^robots\.txt could not be read: connection closed.*nothing else was asked$/,
    );
    expect(r503).toMatchObject({ outcome: "http_error", httpStatus: 503 });
    expect(r503?.outcomeDetail).toBe("robots.txt could not be read: HTTP 503; nothing else was asked");
    // Nothing but robots.txt was asked of either.
    for (const host of [RESET_HOST, ROBOTS_503_HOST])
      expect(sim.log.requestsTo(host).map((e) => e.path)).toEqual(["/robots.txt"]);
  });

  it("on a terminal, writes readable log lines that never glue onto the progress line", () => {
    // What a terminal shows: each line as left after its last clear-line.
    const shown = first.stdout.split(/\r?\n/).map((l) => l.split("\x1b[2K").pop() ?? "");
    expect(first.stdout).toContain("\x1b[2Kdone "); // the live line was drawn
    expect(shown.some((l) => /^[\d:.]+ INFO\s+crawl: crawl finished {2}startedAt=/.test(l))).toBe(true);
    expect(shown.filter((l) => l.includes('{"level"'))).toEqual([]);
    // A progress line is only ever a whole line of its own.
    const glued = shown.filter((l) => /\beta \S*/.test(l) && !/^done \d+ .* eta \S*$/.test(l));
    expect(glued).toEqual([]);
  });

  describe("then the API over the same data folder", () => {
    let api: ApiServer;
    let db: Db;
    beforeAll(async () => {
      db = await openDb(dir);
      api = await startApiServer({
        config: defaultConfig({ db: dir, port: 0, logLevel: "silent" }),
        logger: nullLogger,
        db,
      });
    });
    afterAll(async () => {
      await api?.close();
      await db?.close();
    });
    const get = async (path: string) => (await fetch(`${api.url}${path}`)).json() as Promise<Json>;

    it("shows neither server as an opt-out", async () => {
      for (const host of [RESET_HOST, ROBOTS_503_HOST]) {
        const record = await get(`/api/v1/servers/${host}`);
        expect(record.outcome).toBe("http_error");
      }
      const listed = await get("/api/v1/servers?outcome=robots_disallow&limit=100");
      expect(listed.items.map((i: { domain: string }) => i.domain)).not.toContain(RESET_HOST);
      expect(listed.items.map((i: { domain: string }) => i.domain)).not.toContain(ROBOTS_503_HOST);
    });

    it("names the buckets of the servers that never answered, and they add up", async () => {
      const summary = await get("/api/v1/summary");
      const { neverAnswered, neverAnsweredBuckets: b } = summary.servers;
      expect(b.notContacted + b.notPolledYet + b.failed).toBe(neverAnswered);
      const never = stored.filter((s) => s.lastSeenUpAt === null && s.denyLevel !== "hard");
      expect(b.notContacted).toBe(never.filter((s) => s.network !== "clearnet").length);
      expect(b.failed).toBe(never.filter((s) => s.network === "clearnet" && s.outcome !== null).length);
      expect(b.failed).toBeGreaterThanOrEqual(2); // the two servers above
    });
  });

  it("says on stderr why, and exits 1, when the only seed cannot be reached; JSON logs off a terminal", async () => {
    // A DNS server that is not there (nothing listens on this port); everything else was polled
    // within the hour, so the seed is the only server due.
    const run = await cli([
      "crawl",
      "--once",
      ...common().slice(0, 2),
      "--dns-server",
      "127.0.0.1:9",
      "--only-networks",
      "127.0.0.0/8",
      "--seed",
      "mastodon.social",
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /^mastodon\.social: dns_error, DNS failure \(A ECONNREFUSED[^\n]*: no server reached; is this machine online\?$/m,
    );
    // Not a terminal: JSON lines, each key once.
    const lines = run.stderr.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.some((l) => l.includes('"msg":"crawl finished"'))).toBe(true);
    for (const line of lines) {
      expect(() => JSON.parse(line) as unknown, line).not.toThrow();
      for (const key of ["level", "time", "msg", "scope"])
        expect(line.split(`"${key}":`).length - 1, `${key} in ${line}`).toBeLessThanOrEqual(1);
    }
  });

  it("says the same from run, which goes on", async () => {
    const env = { ...envTrustingTestCa(), FEDIMON_DEBUG: "" };
    const args = ["--import", "tsx", "src/cli/main.ts", "run", "--no-api", "--no-stream", "--no-releases"];
    args.push(...common().slice(0, 2), "--dns-server", "127.0.0.1:9", "--only-networks", "127.0.0.0/8");
    const child = spawn(process.execPath, [...args, "--seed", "pixelfed.social"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const said = new Promise<void>((resolve) =>
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (/no server reached/.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await Promise.race([said, exited, new Promise((r) => setTimeout(r, 60_000))]);
    child.kill("SIGTERM");
    await exited;
    expect(stderr).toMatch(
      /^pixelfed\.social: dns_error, DNS failure \(A ECONNREFUSED[^\n]*: no server reached; is this machine online\?$/m,
    );
  });
});
