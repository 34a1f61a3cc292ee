// deploy/compose.standby.yaml, checked statically: a second `run --no-crawl` beside the base file's
// `app`, with flags `run` takes, a worker id of its own, its own host port and the app's volume
// (one dumps folder, whichever process holds the dumps job). `docker compose config` runs where it
// exists, and shows the standby inherits the app's hardening.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { optionsOf } from "../src/cli/options.js";
import { readCompose, ROOT, valueAfter } from "./compose-file.js";

interface Service {
  extends?: { file?: string; service?: string };
  command?: string[];
  ports?: string[];
  read_only?: boolean;
  user?: string;
  cap_drop?: string[];
  volumes?: { source?: string; target?: string }[];
}

const schema = yaml.DEFAULT_SCHEMA.extend([
  new yaml.Type("!override", { kind: "sequence", construct: (d: unknown) => d ?? [] }),
]);
const standby = yaml.load(readFileSync(join(ROOT, "deploy/compose.standby.yaml"), "utf8"), { schema }) as {
  services: Record<string, Service>;
};
const base = readCompose("deploy/compose.yaml");

describe("deploy/compose.standby.yaml", () => {
  it("adds one `run --no-crawl` extending the app service, with its own worker id and port", () => {
    expect(Object.keys(standby.services)).toEqual(["app-2"]);
    const s = standby.services["app-2"]!;
    expect(s.extends).toEqual({ file: "compose.yaml", service: "app" });
    const argv = s.command ?? [];
    expect(argv.slice(0, 2)).toEqual(["run", "--no-crawl"]);
    const flags = new Set(optionsOf("run").map((o) => o.long));
    for (const arg of argv.slice(1))
      if (arg.startsWith("--")) expect(flags, `run takes ${arg}`).toContain(arg);
    const ids = Object.values(base.services).map((b) => valueAfter(b.command ?? [], "--worker-id"));
    expect(ids).not.toContain(valueAfter(argv, "--worker-id"));
    expect(valueAfter(argv, "--dumps-dir")).toBe(valueAfter(base.services.app!.command ?? [], "--dumps-dir"));
    expect(s.ports).toEqual(["127.0.0.1:${FEDIMON_STANDBY_PORT:-8081}:8080"]);
  });

  const composeWorks = spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0;
  it.skipIf(!composeWorks)("merges over the base file with the app's hardening and volume", () => {
    const r = spawnSync(
      "docker",
      [
        "compose",
        "-f",
        "deploy/compose.yaml",
        "-f",
        "deploy/compose.standby.yaml",
        "config",
        "--format",
        "json",
      ],
      { cwd: ROOT, env: { ...process.env, FEDIMON_CONTACT: "test@localhost" }, encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    const merged = JSON.parse(r.stdout) as { services: Record<string, Service> };
    const app2 = merged.services["app-2"]!;
    expect(app2.read_only).toBe(true);
    expect(app2.cap_drop).toEqual(["ALL"]);
    expect(app2.user).toBe(merged.services.app!.user);
    expect(app2.volumes?.map((v) => [v.source, v.target])).toEqual(
      merged.services.app!.volumes?.map((v) => [v.source, v.target]),
    );
  });
});
