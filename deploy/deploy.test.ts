// The deployment files (docs/deploy.md), checked statically: what they run must be commands and
// flags fedimon has, the hardening must be there, the simulation override must stay on loopback,
// and the dashboard must query only metrics the code defines. `docker compose config` and
// `systemd-analyze verify` run where they exist.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { optionsOf } from "../src/cli/options.js";
import { COMMANDS, CONFIG_FIELD_LIST, type CommandName } from "../src/config/fields.js";
import { buildPopulation } from "../sim/population.js";
import { type ComposeFile, type ComposeService, readCompose, ROOT, valueAfter } from "./compose-file.js";

const root = ROOT;
const read = (rel: string): string => readFileSync(join(root, rel), "utf8");

const base = readCompose("deploy/compose.yaml");
const sim = readCompose("deploy/compose.sim.yaml");
const loopback = readCompose("deploy/compose.sim-loopback.yaml");
const fedimonServices = (f: ComposeFile): [string, ComposeService][] =>
  Object.entries(f.services).filter(([, s]) => s.image === "fedimon:local" || s.command !== undefined);

// ---- What the CLI takes ----

/** The long flags a command takes (`--no-releases` included). */
function flagsOf(command: CommandName): Set<string> {
  return new Set(optionsOf(command).map((o) => o.long ?? ""));
}

/** Environment variables a command reads (settings' variables), and Node's own that we set. */
function envOf(command: CommandName): Set<string> {
  const vars = CONFIG_FIELD_LIST.filter((f) => f.commands.includes(command)).flatMap((f) => f.env);
  return new Set([...vars, "NODE_EXTRA_CA_CERTS", "NODE_ENV"]);
}

/** Throws unless `argv` is a fedimon command with flags it takes; returns the command. */
function checkArgv(argv: readonly string[]): CommandName {
  const command = argv[0] as CommandName;
  expect(COMMANDS, `command ${argv.join(" ")}`).toContain(command);
  const flags = flagsOf(command);
  for (const arg of argv.slice(1))
    if (arg.startsWith("--")) expect(flags, `${command} takes ${arg}`).toContain(arg.split("=")[0]);
  return command;
}

describe("deploy/Dockerfile", () => {
  const text = read("deploy/Dockerfile");
  const lines = text.split("\n").filter((l) => !l.startsWith("#"));
  const runtime = text.slice(text.lastIndexOf("\nFROM "));

  it("builds on a pinned Node 20 Debian slim image, with npm ci and npm run build", () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1];
    expect(image).toMatch(/^node:20\.\d+\.\d+-(bookworm|bullseye|trixie)-slim$/);
    for (const from of lines.filter((l) => l.startsWith("FROM ")))
      expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
    expect(text).toMatch(/^RUN npm ci\b/m);
    expect(text).toMatch(/^RUN npm run build$/m);
    expect(text).toMatch(/^RUN npm ci --omit=dev\b/m);
  });

  it("runs the CLI as a non-root user, with a /healthz healthcheck and no write outside its folder", () => {
    const user = /^USER (\S+)$/m.exec(runtime)?.[1] ?? "root";
    expect(user.split(":")[0]).not.toMatch(/^(root|0)$/);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    const bin = (JSON.parse(read("package.json")) as { bin: { fedimon: string } }).bin.fedimon;
    expect(runtime).toContain(`ENTRYPOINT ["node", "/app/${bin}"]`);
    // Only production dependencies in the runtime stage: node_modules from the deps stage.
    expect(runtime).toMatch(/^COPY --from=deps .*node_modules/m);
    expect(runtime).not.toMatch(/^COPY --from=build .*node_modules/m);
    // The working folder (relative defaults: ./fedimon-data, ./fedimon-dumps) belongs to the user.
    const workdir = [...runtime.matchAll(/^WORKDIR (\S+)$/gm)].at(-1)?.[1];
    expect(workdir).toBe("/var/lib/fedimon");
    expect(runtime).toMatch(/chown node:node \/var\/lib\/fedimon/);
  });

  it("leaves what is built or written locally out of the build context", () => {
    const ignored = read(".dockerignore").split("\n");
    for (const p of ["node_modules", "dist", ".git", "fedimon-data", "fedimon-demo-data", "fedimon-dumps"])
      expect(ignored).toContain(p);
  });
});

describe("deploy/compose.yaml", () => {
  it("runs PostgreSQL, one run process and two crawler workers on it", () => {
    expect(Object.keys(base.services).sort()).toEqual(["app", "crawl-1", "crawl-2", "postgres"]);
    const commands = fedimonServices(base).map(([, s]) => s.command ?? []);
    expect(commands.filter((c) => c[0] === "run")).toHaveLength(1);
    const crawlers = commands.filter((c) => c[0] === "crawl");
    expect(crawlers).toHaveLength(2);
    const ids = commands.map((c) => valueAfter(c, "--worker-id"));
    expect(new Set(ids).size).toBe(commands.length);
    expect(base.services.postgres?.healthcheck?.test).toContain("pg_isready");
  });

  it("runs every fedimon container hardened, on the shared database, with flags it takes", () => {
    for (const [name, s] of fedimonServices(base)) {
      const command = checkArgv(s.command ?? []);
      expect(s.read_only, name).toBe(true);
      expect(s.user, name).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(
        s.tmpfs?.some((t) => t.startsWith("/tmp")),
        name,
      ).toBe(true);
      expect(s.cap_drop, name).toEqual(["ALL"]);
      expect(s.security_opt, name).toContain("no-new-privileges:true");
      expect(s.restart, name).toBe("unless-stopped");
      expect(s.depends_on?.postgres?.condition, name).toBe("service_healthy");
      expect(s.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      const env = envOf(command);
      for (const key of Object.keys(s.environment ?? {})) expect(env, `${name} reads ${key}`).toContain(key);
    }
    expect(base.services.app?.healthcheck?.test?.join(" ")).toContain("/healthz");
  });
});

describe("deploy/compose.sim.yaml", () => {
  const simArgv = sim.services.sim?.command ?? [];
  const hostBase = valueAfter(simArgv, "--host-base") ?? "";

  it("runs the simulation from the image, unprivileged, with its loopback ports allowed", () => {
    expect(simArgv[0]).toBe("sim");
    checkArgv(simArgv);
    const s = sim.services.sim!;
    expect(s.read_only).toBe(true);
    expect(s.user).toMatch(/^[1-9]\d*:/);
    expect(s.sysctls?.["net.ipv4.ip_unprivileged_port_start"]).toBe("0");
    expect(s.healthcheck?.test?.join(" ")).toContain(`'${hostBase}.1'`);
  });

  it("holds every fedimon service to the simulation's loopback, its DNS server and its seed", () => {
    const seed = buildPopulation({
      servers: Number(valueAfter(simArgv, "--servers")),
      seed: Number(valueAfter(simArgv, "--random-seed")),
    }).seedServer.domain;
    const overridden = Object.entries(sim.services).filter(([name]) => name !== "sim");
    expect(overridden.map(([n]) => n).sort()).toEqual(
      fedimonServices(base)
        .map(([n]) => n)
        .sort(),
    );
    for (const [name, s] of overridden) {
      const argv = s.command ?? [];
      const command = checkArgv(argv);
      expect(s.network_mode, name).toBe("service:sim");
      expect(valueAfter(argv, "--only-networks"), name).toBe("127.0.0.0/8");
      expect(s.environment?.FEDIMON_DNS_SERVER, name).toBe(`${hostBase}.53:53`);
      expect(s.environment?.FEDIMON_SEEDS, name).toBe(seed);
      expect(s.environment?.NODE_EXTRA_CA_CERTS, name).toBe("/app/dist/sim/tls/test-ca.pem");
      expect(s.depends_on?.sim?.condition, name).toBe("service_healthy");
      const env = envOf(command);
      for (const key of Object.keys(s.environment ?? {})) expect(env, `${name} reads ${key}`).toContain(key);
    }
    // The CA the override names is the one the build copies into dist/.
    expect(read("scripts/copy-assets.mjs")).toContain('"sim/tls"');
    expect(read("sim/tls/test-ca.pem")).toContain("BEGIN CERTIFICATE");
  });

  const composeWorks = spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0;
  it.skipIf(!composeWorks)("is accepted by docker compose config, alone and over the base file", () => {
    for (const files of [
      ["deploy/compose.yaml"],
      ["deploy/compose.yaml", "deploy/compose.sim.yaml"],
      ["deploy/compose.yaml", "deploy/compose.sim.yaml", "deploy/compose.sim-loopback.yaml"],
    ]) {
      const r = spawnSync("docker", ["compose", ...files.flatMap((f) => ["-f", f]), "config", "--quiet"], {
        cwd: root,
        env: { ...process.env, FEDIMON_CONTACT: "test@localhost" },
        encoding: "utf8",
      });
      expect(r.stderr, files.join(" + ")).toBe("");
      expect(r.status).toBe(0);
    }
  });
});

describe("deploy/compose.sim-loopback.yaml", () => {
  it("takes the simulation off every network and puts PostgreSQL in its namespace", () => {
    expect(loopback.services.sim?.network_mode).toBe("none");
    expect(loopback.services.sim?.ports).toEqual({ reset: [] });
    expect(loopback.services.postgres?.network_mode).toBe("service:sim");
  });

  it("points every fedimon service at PostgreSQL on the namespace's loopback, same credentials", () => {
    const names = fedimonServices(base).map(([n]) => n);
    expect(
      Object.keys(loopback.services)
        .filter((n) => n !== "sim" && n !== "postgres")
        .sort(),
    ).toEqual([...names].sort());
    for (const name of names) {
      const url = loopback.services[name]?.environment?.DATABASE_URL ?? "";
      expect(url, name).toBe(
        base.services[name]?.environment?.DATABASE_URL?.replace("@postgres:", "@127.0.0.1:"),
      );
    }
  });
});

// ---- systemd ----

/** A unit file's sections: key -> every value given (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`not a unit line: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

describe("deploy/systemd", () => {
  const dir = join(root, "deploy/systemd");
  const units = readdirSync(dir).filter((f) => f.endsWith(".service"));

  it("has a templated crawler unit and one unit for each other role", () => {
    expect(units.sort()).toEqual([
      "fedimon-crawl@.service",
      "fedimon-releases.service",
      "fedimon-run.service",
      "fedimon-serve.service",
      "fedimon-stream.service",
    ]);
  });

  it.each(units)("%s is hardened and runs a fedimon command with flags it takes", (unit) => {
    const service = parseUnit(readFileSync(join(dir, unit), "utf8")).get("Service")!;
    const one = (k: string): string | undefined => service.get(k)?.at(-1);
    for (const [k, v] of Object.entries({
      DynamicUser: "yes",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      StateDirectory: "fedimon",
      WorkingDirectory: "/var/lib/fedimon",
      EnvironmentFile: "/etc/fedimon/fedimon.env",
      CapabilityBoundingSet: "",
      Restart: "on-failure",
    }))
      expect(one(k), `${unit} ${k}`).toBe(v);
    // V8 compiles code at run time: MemoryDenyWriteExecute would kill node.
    expect(service.has("MemoryDenyWriteExecute")).toBe(false);
    const argv = (one("ExecStart") ?? "").split(/\s+/);
    expect(argv.slice(0, 2)).toEqual(["/usr/bin/node", "/opt/fedimon/dist/src/cli/main.js"]);
    const command = checkArgv(argv.slice(2));
    expect(unit).toBe(command === "crawl" ? "fedimon-crawl@.service" : `fedimon-${command}.service`);
    if (command === "crawl") expect(valueAfter(argv, "--worker-id")).toContain("%i");
  });

  it("the example environment file sets only variables fedimon reads", () => {
    const known = new Set(CONFIG_FIELD_LIST.flatMap((f) => f.env));
    const keys = read("deploy/systemd/fedimon.env.example")
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split("=")[0]!);
    expect(keys).toContain("DATABASE_URL");
    for (const k of keys) expect(known, k).toContain(k);
  });

  const analyze = spawnSync("systemd-analyze", ["--version"], { stdio: "ignore" }).status === 0;
  it.skipIf(!analyze)("systemd-analyze verify accepts every unit without a warning", () => {
    const tmp = mkdtempSync(join(tmpdir(), "fedimon-units-"));
    try {
      const paths = units.map((u) => {
        const to = join(tmp, u.replace("@.service", "@1.service"));
        copyFileSync(join(dir, u), to);
        return to;
      });
      const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...paths], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

// ---- Grafana ----

interface PromRegistry {
  metrics(): Promise<string>;
}

/** PromQL words that are not metric names. */
const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
]);

/** The metric names a PromQL expression reads. */
function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names = [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)]
    .filter((m) => m[2] === undefined && !PROMQL_WORDS.has(m[1]!))
    .map((m) => m[1]!);
  return [...new Set(names)];
}

/** prom-client's default collectors' metric names (the ones the dashboard may read). */
const PROM_CLIENT_DEFAULTS = new Set([
  "process_cpu_seconds_total",
  "process_resident_memory_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_heap_size_total_bytes",
  "nodejs_eventloop_lag_seconds",
  "nodejs_eventloop_lag_p99_seconds",
  "nodejs_gc_duration_seconds_sum",
  "nodejs_gc_duration_seconds_count",
]);

/** fedimon_* metrics the code registers, with their type. */
function definedMetrics(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
        for (const m of readFileSync(p, "utf8").matchAll(
          /\.(counter|gauge|histogram)\(\s*"(fedimon_[a-z0-9_]+)"/g,
        ))
          out.set(m[2]!, m[1]!);
    }
  };
  walk(join(root, "src"));
  return out;
}

describe("deploy/grafana/fedimon.json", () => {
  interface Panel {
    type: string;
    title: string;
    targets?: { expr: string }[];
  }
  const dashboard = JSON.parse(read("deploy/grafana/fedimon.json")) as {
    panels: Panel[];
    templating: { list: { query?: string | { query: string } }[] };
  };
  const exprs = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.flatMap((v) => (typeof v.query === "object" ? [v.query.query] : [])),
  ];

  it("finds the metric names in PromQL", () => {
    expect(
      metricsOf(
        'histogram_quantile(0.9, sum by (le) (rate(a_bucket{job=~"x|y", le!="1"}[5m]))) / on (job) b',
      ),
    ).toEqual(["a_bucket", "b"]);
    expect(metricsOf("label_values(fedimon_store_up, job)")).toEqual(["fedimon_store_up", "job"]);
  });

  it("queries only metrics the code defines, and shows every one of them", () => {
    const defined = definedMetrics();
    expect(defined.size).toBeGreaterThan(5);
    const used = new Set<string>();
    for (const expr of exprs) {
      // label_values(metric, label): the second argument is a label.
      const names = expr.startsWith("label_values(") ? metricsOf(expr).slice(0, 1) : metricsOf(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) {
        if (!name.startsWith("fedimon_")) {
          expect(PROM_CLIENT_DEFAULTS, `${name} in ${expr}`).toContain(name);
          continue;
        }
        const series = /^(.*)_(bucket|sum|count)$/.exec(name);
        const family = series && defined.get(series[1]!) === "histogram" ? series[1]! : name;
        expect(defined.has(family), `${name} in ${expr}: no metric of that name in src/`).toBe(true);
        if (defined.get(family) === "histogram")
          expect(family, `${name}: a histogram's series`).not.toBe(name);
        used.add(family);
      }
    }
    expect(
      [...defined.keys()].filter((m) => !used.has(m)),
      "metrics the dashboard does not show",
    ).toEqual([]);
  });

  const promClient = ((): {
    Registry: new () => PromRegistry;
    collectDefaultMetrics(o: { register: PromRegistry }): void;
  } | null => {
    try {
      return createRequire(import.meta.url)("prom-client") as never;
    } catch {
      return null;
    }
  })();
  it.skipIf(!promClient)("the default collectors it reads are prom-client's", async () => {
    const registry = new promClient!.Registry();
    promClient!.collectDefaultMetrics({ register: registry });
    const text = await registry.metrics();
    // A family is declared even before it has a series (a histogram of GCs before the first GC).
    const families = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => m[1]!));
    for (const name of PROM_CLIENT_DEFAULTS)
      expect(families, name).toContain(/^(.*)_(sum|count|bucket)$/.exec(name)?.[1] ?? name);
  });
});
