import "reflect-metadata";
import { webcrypto, createPrivateKey, createPublicKey } from "node:crypto";

type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/**
 * The simulation's throwaway certificate authority. Its private key is committed on purpose: it
 * only ever signs certificates for servers on loopback inside tests, simulations and demos, and it
 * is trusted only by processes started with `NODE_EXTRA_CA_CERTS` pointing at `TEST_CA_CERT_FILE`.
 */
export const TEST_CA_CERT_FILE = fileURLToPath(new URL("./test-ca.pem", import.meta.url));
const TEST_CA_KEY_FILE = fileURLToPath(new URL("./test-ca-key.pem", import.meta.url));

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A certificate and its key, PEM-encoded, ready for `tls.createSecureContext`. */
export interface PemPair {
  cert: string;
  key: string;
}

/** Options for one leaf certificate; the defaults make a valid certificate for `names`. */
export interface LeafOptions {
  notBefore?: Date;
  notAfter?: Date;
  /** Sign with the leaf's own key instead of the CA (a self-signed certificate). */
  selfSigned?: boolean;
}

/** A key pair with its key identifier (the SHA-1 of the public key, as RFC 5280 suggests). */
interface KeyedPair {
  keys: CryptoKeyPair;
  keyId: string;
}

let caPromise: Promise<KeyedPair & { cert: x509.X509Certificate }> | null = null;
let leafKeysPromise: Promise<KeyedPair & { keyPem: string }> | null = null;

async function loadCaKeys(): Promise<CryptoKeyPair> {
  const key = createPrivateKey(readFileSync(TEST_CA_KEY_FILE, "utf8"));
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const privateKey = await webcrypto.subtle.importKey("pkcs8", pkcs8, ALG, true, ["sign"]);
  const publicKey = await webcrypto.subtle.importKey("spki", spki, ALG, true, ["verify"]);
  return { privateKey, publicKey } as CryptoKeyPair;
}

async function keyIdOf(publicKey: webcrypto.CryptoKey): Promise<string> {
  return (await x509.SubjectKeyIdentifierExtension.create(publicKey)).keyId;
}

async function loadCa(): Promise<KeyedPair & { cert: x509.X509Certificate }> {
  const cert = new x509.X509Certificate(readFileSync(TEST_CA_CERT_FILE, "utf8"));
  const keys = await loadCaKeys();
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  return { cert, keys, keyId: ski?.keyId ?? (await keyIdOf(keys.publicKey)) };
}

/** One key pair shared by every leaf: generating a key per virtual server would cost 50,000 keys. */
async function leafKeys(): Promise<KeyedPair & { keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { keys, keyPem: pemOf("PRIVATE KEY", der), keyId: await keyIdOf(keys.publicKey) };
}

function pemOf(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END ${label}-----\n`;
}

/**
 * Issues a leaf certificate for `names` (DNS names), signed by the test CA unless `selfSigned`, with
 * the extensions a public CA's server certificate carries (RFC 5280 and the CA/Browser Forum
 * baseline): the names as subject alternative names, basicConstraints CA:FALSE, key usage
 * digitalSignature (critical), extended key usage serverAuth, and the subject and authority key
 * identifiers that strict verifiers (`openssl verify -x509_strict`, Python 3.13's default context)
 * require to build the chain.
 */
export async function issueLeafCert(names: string[], opts: LeafOptions = {}): Promise<PemPair> {
  caPromise ??= loadCa();
  leafKeysPromise ??= leafKeys();
  const [ca, leaf] = await Promise.all([caPromise, leafKeysPromise]);
  const now = Date.now();
  const notBefore = opts.notBefore ?? new Date(now - 24 * 3600_000);
  const notAfter = opts.notAfter ?? new Date(now + 90 * 24 * 3600_000);
  const subject = `CN=${names[0] ?? "localhost"}`;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: opts.selfSigned ? subject : ca.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: leaf.keys.publicKey,
    signingKey: opts.selfSigned ? leaf.keys.privateKey : ca.keys.privateKey,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: "dns" as const, value }))),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectKeyIdentifierExtension(leaf.keyId),
      new x509.AuthorityKeyIdentifierExtension(opts.selfSigned ? leaf.keyId : ca.keyId),
    ],
  });
  return { cert: cert.toString("pem") + "\n", key: leaf.keyPem };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(12));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

/** The test CA certificate in PEM (for clients that take a `ca` option in unit tests). */
export function testCaPem(): string {
  return readFileSync(TEST_CA_CERT_FILE, "utf8");
}

/**
 * Makes the committed CA files (`npx tsx sim/tls/ca.ts --generate`): a self-signed root as a public
 * CA issues one (basicConstraints CA critical, keyCertSign and cRLSign, subject and authority key
 * identifiers). It keeps the committed key unless `newKey` (so re-issuing the root for new
 * extensions leaves every certificate it signed verifiable).
 */
async function generateCa(newKey: boolean): Promise<void> {
  const { existsSync, writeFileSync } = await import("node:fs");
  const keys =
    !newKey && existsSync(TEST_CA_KEY_FILE)
      ? await loadCaKeys()
      : ((await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair);
  const keyId = await keyIdOf(keys.publicKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=fedimon simulation test CA (loopback only; private key is public)",
    notBefore: new Date(Date.UTC(2025, 0, 1)),
    notAfter: new Date(Date.UTC(2075, 0, 1)),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectKeyIdentifierExtension(keyId),
      new x509.AuthorityKeyIdentifierExtension(keyId),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  writeFileSync(TEST_CA_CERT_FILE, cert.toString("pem") + "\n");
  writeFileSync(TEST_CA_KEY_FILE, pemOf("PRIVATE KEY", der));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--generate")) {
  await generateCa(process.argv.includes("--new-key"));
}
