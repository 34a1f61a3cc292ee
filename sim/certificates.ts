import tls from "node:tls";
import { issueLeafCert } from "./tls/ca.js";
import type { Population, VirtualServer } from "./population.js";

/**
 * Servers per certificate. Issuing one costs ~5 ms, so a certificate covers several servers; but
 * every handshake sends it and the client turns every name into JavaScript to check the host
 * (~4 µs a name, client and server together), so it covers few: at 30 servers (up to 60 names)
 * issuing costs ~0.15 ms a server and the names ~0.2 ms a handshake. At 150 the names cost the
 * crawler ~0.5 ms more per server. Real certificates carry a handful of names.
 */
const SERVERS_PER_CERT = 30;
const DAY_MS = 86_400_000;

/** The name a wrong-name certificate is for (a hosting provider's default virtual host). */
export const WRONG_NAME = "default-vhost.invalid";

type CertKind = "valid" | "expired" | "selfsigned";

function kindOf(s: VirtualServer): CertKind | "wrong" {
  switch (s.fault) {
    case "cert_expired":
      return "expired";
    case "cert_self_signed":
      return "selfsigned";
    case "cert_wrong_name":
      return "wrong";
    default:
      return "valid";
  }
}

/**
 * Certificates for every simulated host, issued lazily by the test CA through SNI: servers are
 * grouped by index so one certificate covers 30 servers; expired and self-signed servers get
 * certificates of their kind; wrong-name servers and unknown names get the default vhost's.
 */
export class CertificateBook {
  readonly #contexts = new Map<string, Promise<tls.SecureContext>>();
  readonly #extra = new Set<string>();

  constructor(private readonly pop: Population) {}

  /** Makes `name` (an extra host) get a valid certificate of its own. */
  addHost(name: string): void {
    this.#extra.add(name);
  }

  /** The context for a TLS handshake that asked for `servername`. */
  contextFor(servername: string): Promise<tls.SecureContext> {
    const name = servername.toLowerCase().replace(/\.$/, "");
    const s = this.pop.byDomain.get(name) ?? this.pop.byWebDomain.get(name);
    if (s) {
      const kind = kindOf(s);
      if (kind === "wrong") return this.#wrong();
      const group = Math.floor(s.index / SERVERS_PER_CERT);
      return this.#context(
        `${kind}:${group}`,
        () => {
          const names: string[] = [];
          const end = Math.min(this.pop.servers.length, (group + 1) * SERVERS_PER_CERT);
          for (let i = group * SERVERS_PER_CERT; i < end; i++) {
            const peer = this.pop.servers[i] as VirtualServer;
            if (kindOf(peer) !== kind) continue;
            names.push(peer.domain);
            if (peer.webDomain) names.push(peer.webDomain);
          }
          return names;
        },
        kind,
      );
    }
    const farm = this.pop.farm;
    if (farm && (name === farm.registrableDomain || name.endsWith(`.${farm.registrableDomain}`))) {
      return this.#context("farm", () => [farm.registrableDomain, `*.${farm.registrableDomain}`], "valid");
    }
    if (this.#extra.has(name)) return this.#context(`extra:${name}`, () => [name], "valid");
    return this.#wrong();
  }

  /** The context served when a client sends no SNI or an unknown name. */
  defaultContext(): Promise<tls.SecureContext> {
    return this.#wrong();
  }

  #wrong(): Promise<tls.SecureContext> {
    return this.#context("wrong", () => [WRONG_NAME], "valid");
  }

  #context(key: string, names: () => string[], kind: CertKind): Promise<tls.SecureContext> {
    let ctx = this.#contexts.get(key);
    if (!ctx) {
      const now = Date.now();
      const opts =
        kind === "expired"
          ? { notBefore: new Date(now - 400 * DAY_MS), notAfter: new Date(now - 30 * DAY_MS) }
          : kind === "selfsigned"
            ? { selfSigned: true }
            : {};
      ctx = issueLeafCert(names(), opts).then((pem) =>
        tls.createSecureContext({ cert: pem.cert, key: pem.key }),
      );
      ctx.catch(() => this.#contexts.delete(key));
      this.#contexts.set(key, ctx);
    }
    return ctx;
  }

  /** Certificates issued so far. */
  get issued(): number {
    return this.#contexts.size;
  }
}
