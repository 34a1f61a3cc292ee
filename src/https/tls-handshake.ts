import type { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { checkNameOnLeafOnly, sharedClientContext, type LookupFunction } from "../net/index.js";

/** Options for one probing handshake. */
export interface HandshakeOptions {
  domain: string;
  port: number;
  /** net/'s guarded lookup: the only way an address is chosen, so the SSRF guard applies. */
  lookup: LookupFunction;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** Force IPv4 or IPv6 (the IPv6 probe). */
  family?: 4 | 6;
  timeoutMillis: number;
  signal?: AbortSignal;
}

/** A handshake that completed, with what verification said (checks are inspected, not skipped). */
export interface HandshakeSuccess {
  ok: true;
  protocol: string | null;
  remoteAddress: string | null;
  remoteFamily: string | null;
  /** OpenSSL's verification error code, or null when the chain verified. */
  verifyError: string | null;
  /** `tls.checkServerIdentity`'s verdict: null when the name matches. */
  nameError: string | null;
  certificate: X509Certificate | null;
}

/** A handshake that did not complete. `stage` tells a dead host from a refused protocol. */
export interface HandshakeFailure {
  ok: false;
  /** `lookup`: no usable address (or the guard refused it); `connect`: no TCP connection; `tls`: the handshake failed; `local`: this machine refused to try. */
  stage: "lookup" | "connect" | "tls" | "local";
  code: string;
  message: string;
}

/** The result of one probing handshake. */
export type HandshakeResult = HandshakeSuccess | HandshakeFailure;

/**
 * OpenSSL errors raised by this machine's own policy rather than by the server: the version is
 * compiled out or forbidden here, so the answer is "could not test", not "not offered".
 */
const LOCAL_REFUSALS = new Set([
  "ERR_SSL_NO_PROTOCOLS_AVAILABLE",
  "ERR_SSL_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED",
  "ERR_SSL_NO_CIPHERS_AVAILABLE",
  "ERR_TLS_INVALID_PROTOCOL_VERSION",
  "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
]);

/**
 * Opens one TLS connection to learn what the server offers, sends nothing over it and closes it.
 * Certificate problems do not abort the handshake (`rejectUnauthorized: false`) because the
 * probe's job is to report them: verification still runs and its verdict is returned. Only
 * TLS 1.0/1.1 attempts lower OpenSSL's security level, which those versions need. Never throws.
 */
export function handshake(opts: HandshakeOptions): Promise<HandshakeResult> {
  return new Promise<HandshakeResult>((resolve) => {
    const legacy = opts.maxVersion === "TLSv1" || opts.maxVersion === "TLSv1.1";
    let connected = false;
    let lookedUp = false;
    let settled = false;
    let socket: tls.TLSSocket;
    const finish = (result: HandshakeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (result.ok && socket) {
        // Close politely (close_notify, FIN) so the server sees a completed handshake, not a reset;
        // destroy anyway if it does not close its side soon.
        socket.end();
        socket.setTimeout(2_000, () => socket.destroy());
        socket.on("error", () => socket.destroy());
      } else {
        socket?.destroy();
      }
      resolve(result);
    };
    const onAbort = (): void =>
      finish({ ok: false, stage: connected ? "tls" : "connect", code: "ABORTED", message: "aborted" });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          stage: connected ? "tls" : "connect",
          code: "ETIMEDOUT",
          message: `no handshake within ${opts.timeoutMillis} ms`,
        }),
      opts.timeoutMillis,
    );
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const lookup: LookupFunction = (hostname, options, callback) => {
      opts.lookup(hostname, options, (err, address, family) => {
        lookedUp = !err;
        (callback as (e: NodeJS.ErrnoException | null, a: unknown, f?: number) => void)(err, address, family);
      });
    };
    try {
      socket = tls.connect({
        host: opts.domain,
        port: opts.port,
        servername: opts.domain,
        lookup,
        ...(opts.family ? { family: opts.family } : {}),
        // Versions and ciphers live in the context: one shared context per setting.
        secureContext: sharedClientContext({
          minVersion: opts.minVersion ?? "TLSv1.2",
          maxVersion: opts.maxVersion ?? "TLSv1.3",
          ...(legacy ? { ciphers: "DEFAULT:@SECLEVEL=0" } : {}),
        }),
        rejectUnauthorized: false,
        ALPNProtocols: ["http/1.1"],
      });
      checkNameOnLeafOnly(socket);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      finish({ ok: false, stage: "local", code: e.code ?? "ERR", message: e.message });
      return;
    }
    socket.once("connect", () => {
      connected = true;
    });
    socket.once("secureConnect", () => {
      const peer = socket.getPeerCertificate();
      const nameError =
        peer && Object.keys(peer).length > 0
          ? tls.checkServerIdentity(opts.domain, peer)
          : new Error("no certificate");
      const authError = socket.authorizationError as unknown as Error | string | null | undefined;
      finish({
        ok: true,
        protocol: socket.getProtocol() ?? null,
        remoteAddress: socket.remoteAddress ?? null,
        remoteFamily: socket.remoteFamily ?? null,
        verifyError: socket.authorized ? null : authErrorCode(authError),
        nameError: nameError ? ((nameError as NodeJS.ErrnoException).code ?? nameError.message) : null,
        certificate: socket.getPeerX509Certificate() ?? null,
      });
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "ERR";
      let stage: HandshakeFailure["stage"];
      if (LOCAL_REFUSALS.has(code)) stage = "local";
      else if (connected) stage = "tls";
      // The lookup (net/'s resolver and address guard) failed: nothing was sent anywhere.
      else if (!lookedUp) stage = "lookup";
      else stage = "connect";
      finish({ ok: false, stage, code, message: oneLine(err.message) });
    });
  });
}

function authErrorCode(err: Error | string | null | undefined): string {
  if (!err) return "UNKNOWN";
  if (typeof err === "string") return err;
  return (err as NodeJS.ErrnoException).code ?? err.message;
}

function oneLine(message: string): string {
  const first = message.split("\n")[0] ?? message;
  // OpenSSL messages carry a hex prefix and a source path: keep the readable part.
  const m = /:SSL routines:[^:]*:([^:]+)/.exec(first);
  return (m?.[1] ?? first).slice(0, 200);
}
