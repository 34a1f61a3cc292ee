// The container image runs on a read-only root filesystem with only its working folder and /tmp
// writable (docs/deploy.md). Without Docker, the same conditions in a mount namespace: the root
// remounted read-only, one tmpfs holding the working folder and the temporary folder (TMPDIR; not
// over /tmp itself, where a clone of the repository may live), and there a crawl of the
// simulation on the embedded store (the program's heaviest writer: the data folder unpacked from
// its template, its lock, the store's files) from the relative default `./fedimon-data`, then
// `fedimon server DOMAIN --json` reading the store back. Runs inside scripts/loopback-only.sh.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
/** A tmpfs over an empty folder every Linux has: the working folder and the temporary folder. */
const MNT = "/mnt";
const WORK = `${MNT}/work`;
const TMP = `${MNT}/tmp`;

const canMount =
  spawnSync("unshare", ["-rm", "sh", "-c", "mount -o remount,ro,bind / && mount -t tmpfs tmpfs /mnt"], {
    stdio: "ignore",
  }).status === 0;

let sim: Sim;
beforeAll(async () => {
  if (canMount) sim = await startSim({ servers: 40, seed: 17, faultRate: 0.25, latencyMillis: [0, 5] });
});
afterAll(async () => {
  await sim?.close();
});

describe.skipIf(!canMount)("a read-only root filesystem", () => {
  it("crawls and reads back an embedded store, writing only to the working folder and the temporary folder", async () => {
    const fedimon = `node --import ${TSX} ${MAIN}`;
    const script = [
      "set -e",
      "mount -o remount,ro,bind /",
      `mount -t tmpfs tmpfs ${MNT}`,
      `mkdir ${WORK} ${TMP}`,
      `export TMPDIR=${TMP}`,
      `cd ${WORK}`,
      // Nothing else can be written.
      `if touch ${fileURLToPath(new URL("..", import.meta.url))}probe 2>/dev/null; then echo root-writable; exit 9; fi`,
      `${fedimon} crawl --once --dns-server ${sim.dnsServer} --seed ${sim.seedDomain} --only-networks 127.0.0.0/8 --log-format json >&2`,
      "test -f fedimon-data/PG_VERSION",
      `${fedimon} server ${sim.seedDomain} --json`,
    ].join("\n");
    // Not spawnSync: the simulation answers from this process's event loop.
    const child = spawn("unshare", ["-rm", "sh", "-c", script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: sim.caFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const r = { status: null as number | null, stdout: "", stderr: "" };
    child.stdout.on("data", (d: Buffer) => (r.stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (r.stderr += d.toString()));
    r.status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    expect(r.status, r.stderr.split("\n").slice(-15).join("\n")).toBe(0);
    const shown = JSON.parse(r.stdout) as { domain: string; outcome: string };
    expect(shown).toMatchObject({ domain: sim.seedDomain, outcome: "ok" });
  }, 250_000);
});
