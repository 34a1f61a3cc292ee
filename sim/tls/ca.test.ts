import { execFileSync, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { issueLeafCert, TEST_CA_CERT_FILE, testCaPem } from "./ca.js";

const dir = mkdtempSync(join(tmpdir(), "fedimon-ca-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Days until the committed test CA expires (this test fails well before it does). */
function testCaDaysLeft(): number {
  return (Date.parse(new X509Certificate(testCaPem()).validTo) - Date.now()) / 86_400_000;
}

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
/** Said in the test titles, so a skip shows why in the test output. */
const needsOpenssl = hasOpenssl ? "" : " (SKIPPED: openssl not found on PATH)";

/** `openssl verify -x509_strict` of `leafPem` against the test CA: its output, and whether it passed. */
function strictVerify(leafPem: string, name: string): { ok: boolean; out: string } {
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, leafPem);
  const r = spawnSync(
    "openssl",
    ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", TEST_CA_CERT_FILE, file],
    {
      encoding: "utf8",
    },
  );
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

/** The extensions section of `openssl x509 -text`. */
function extensionsText(pem: string, name: string): string {
  const file = join(dir, `${name}-text.pem`);
  writeFileSync(file, pem);
  return execFileSync("openssl", ["x509", "-in", file, "-noout", "-text"], { encoding: "utf8" });
}

describe("the simulation's test CA", () => {
  it("stays valid for years", () => {
    expect(testCaDaysLeft()).toBeGreaterThan(365 * 5);
  });

  it.skipIf(!hasOpenssl)(
    `is a root a strict verifier accepts: CA critical, keyCertSign, key identifiers${needsOpenssl}`,
    () => {
      const text = extensionsText(testCaPem(), "ca");
      expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
      expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
      expect(text).toMatch(/Subject Key Identifier:/);
      const r = spawnSync(
        "openssl",
        ["verify", "-x509_strict", "-CAfile", TEST_CA_CERT_FILE, TEST_CA_CERT_FILE],
        { encoding: "utf8" },
      );
      expect(`${r.stdout}${r.stderr}`).toContain(": OK");
    },
  );
});

describe.skipIf(!hasOpenssl)(`leaf certificates issued by the test CA${needsOpenssl}`, () => {
  it("pass openssl verify -x509_strict as a TLS server certificate, with a public CA's extensions", async () => {
    const pem = await issueLeafCert(["a.example.test", "b.example.test", "www.b.example.test"]);
    const r = strictVerify(pem.cert, "leaf");
    expect(r.out).toContain(": OK");
    expect(r.ok).toBe(true);
    const text = extensionsText(pem.cert, "leaf");
    expect(text).toMatch(
      /Subject Alternative Name:\s+DNS:a\.example\.test, DNS:b\.example\.test, DNS:www\.b\.example\.test/,
    );
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toMatch(/Subject Key Identifier:/);
    // The authority key identifier names the CA's subject key identifier: that is how the chain is built.
    const caSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(extensionsText(testCaPem(), "ca2"))?.[1];
    expect(caSki).toBeTruthy();
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caSki}`));
  });

  it("fail strict verification for the faults they stand for, and only those", async () => {
    const now = Date.now();
    const expired = await issueLeafCert(["expired.example.test"], {
      notBefore: new Date(now - 400 * 86_400_000),
      notAfter: new Date(now - 30 * 86_400_000),
    });
    expect(strictVerify(expired.cert, "expired").out).toMatch(/certificate has expired/);
    const self = await issueLeafCert(["self.example.test"], { selfSigned: true });
    expect(strictVerify(self.cert, "self").out).toMatch(/self[- ]signed certificate/);
  });
});
