import { execFile, spawnSync } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";

// Runs inside scripts/loopback-only.sh (the simulation binds 127.x.y.z:443). Clients that verify
// certificates strictly (OpenSSL's -x509_strict, Python 3.13's default context) must accept every
// healthy simulated server, so other tools can be run against the simulation unpatched.

let sim: Sim;
let resolver: Resolver;
const dir = mkdtempSync(join(tmpdir(), "fedimon-tls-strict-"));

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
const hasPython = spawnSync("python3", ["-c", "import ssl"]).status === 0;
/** Said in the test titles, so a skip shows why in the test output. */
const needsOpenssl = hasOpenssl ? "" : " (SKIPPED: openssl not found on PATH)";
const needsPython = hasPython ? "" : " (SKIPPED: python3 not found on PATH)";

beforeAll(async () => {
  sim = await startSim({ servers: 40, seed: "tls-strict", faultRate: 0 });
  resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([sim.dnsServer]);
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Hosts to try: the seed, a few others, and a web domain where one exists. */
function hosts(): string[] {
  const others = sim.domains.filter((d) => d !== sim.seedDomain).slice(0, 3);
  const web = sim.population.servers.find((s) => s.webDomain)?.webDomain;
  return [sim.seedDomain, ...others, ...(web ? [web] : [])];
}

/** The certificate a simulated host serves, in PEM (what a client receives in the handshake). */
async function servedCert(ip: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: ip, port: 443, servername: host, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(
        `-----BEGIN CERTIFICATE-----\n${raw.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`,
      );
    });
    socket.on("error", reject);
  });
}

describe("simulated servers' certificates under strict verification", () => {
  it.skipIf(!hasOpenssl)(
    `pass openssl verify -x509_strict -purpose sslserver against the test CA${needsOpenssl}`,
    async () => {
      for (const host of hosts()) {
        const ip = (await resolver.resolve4(host))[0]!;
        const file = join(dir, `${host}.pem`);
        writeFileSync(file, await servedCert(ip, host));
        const r = spawnSync(
          "openssl",
          [
            "verify",
            "-x509_strict",
            "-purpose",
            "sslserver",
            "-verify_hostname",
            host,
            "-CAfile",
            sim.caFile,
            file,
          ],
          { encoding: "utf8" },
        );
        expect(`${host}: ${r.stdout}${r.stderr}`.trim()).toBe(`${host}: ${file}: OK`);
      }
    },
  );

  it.skipIf(!hasPython)(
    `complete a handshake and answer with Python's strict default context${needsPython}`,
    async () => {
      const targets: [string, string][] = [];
      for (const host of hosts()) targets.push([(await resolver.resolve4(host))[0]!, host]);
      // Python 3.13's default context sets VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN; older
      // Pythons get the same flags here, so the check does not depend on the installed version.
      const script = `
import json, ssl, socket, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
for ip, host in json.loads(sys.argv[2]):
    try:
        with socket.create_connection((ip, 443), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                s.sendall(("GET /robots.txt HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" % host).encode())
                print(host, s.recv(64).split(b"\\r\\n")[0].decode())
    except Exception as e:
        print(host, "FAILED", type(e).__name__, e)
`;
      // Asynchronously: the simulation answers from this very process.
      const r = await promisify(execFile)("python3", ["-c", script, sim.caFile, JSON.stringify(targets)], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.stderr).toBe("");
      const lines = r.stdout.trim().split("\n");
      expect(lines).toEqual(targets.map(([, host]) => `${host} HTTP/1.1 200 OK`));
    },
  );
});
