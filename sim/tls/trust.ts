import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_CA_CERT_FILE } from "./ca.js";

/**
 * An environment for a child process that trusts the simulation's test CA on top of whatever
 * `NODE_EXTRA_CA_CERTS` already names (machines often point it at the system bundle; replacing
 * it would drop those roots, keeping it would leave the test CA out). Node reads the variable
 * only at process start, so this is for processes about to be started.
 */
export function envTrustingTestCa(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const ca = readFileSync(TEST_CA_CERT_FILE, "utf8");
  const current = env.NODE_EXTRA_CA_CERTS;
  if (!current || current === TEST_CA_CERT_FILE || !existsSync(current)) {
    return { ...env, NODE_EXTRA_CA_CERTS: TEST_CA_CERT_FILE };
  }
  const existing = readFileSync(current, "utf8");
  if (existing.includes(ca.trim())) return { ...env };
  const bundle = `${existing.trimEnd()}\n${ca}`;
  const file = join(
    tmpdir(),
    `fedimon-ca-${createHash("sha256").update(bundle).digest("hex").slice(0, 16)}.pem`,
  );
  if (!existsSync(file)) writeFileSync(file, bundle);
  return { ...env, NODE_EXTRA_CA_CERTS: file };
}

/** Whether this process trusts the test CA (its `NODE_EXTRA_CA_CERTS` bundle holds it). */
export function testCaTrusted(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file || !existsSync(file)) return false;
  return readFileSync(file, "utf8").includes(readFileSync(TEST_CA_CERT_FILE, "utf8").trim());
}
