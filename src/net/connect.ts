import net from "node:net";
import tls from "node:tls";
import type { buildConnector } from "undici";
import type { AddressGuard } from "./address-guard.js";
import { ConnectError, NetError, classifyNetError } from "./errors.js";
import { resolveAllowed } from "./guarded-lookup.js";
import { normaliseHost, type Resolver } from "./resolver.js";

/** Options for {@link createGuardedConnector}. */
export interface GuardedConnectorOptions {
  resolver: Resolver;
  guard: AddressGuard;
  /** TCP connection establishment (after DNS). config.connectTimeoutMillis, default 5 s. */
  connectTimeoutMillis: number;
  /** TLS handshake after the TCP connection. Default: config.firstByteTimeoutMillis (10 s). */
  handshakeTimeoutMillis: number;
  /** Called once per new connection with the host name and the address actually connected to. */
  onConnected?: (hostname: string, remoteAddress: string) => void;
}

/** How long each address family gets before the next is tried (Node's happy eyeballs). */
const FAMILY_ATTEMPT_MILLIS = 250;

/**
 * undici's `connect` hook: the only place fedimon opens an HTTP(S) socket. For each new connection
 * it resolves the host through our resolver, checks every address with the guard (none allowed:
 * `private_address`), and connects only to checked addresses (IP literals are checked too), so a
 * DNS answer that changes between checks (rebinding) cannot redirect the socket. Then, for https,
 * TLS over that socket with SNI and certificate checks for the host name (Node's defaults; nothing
 * turns them off; extra CAs only via NODE_EXTRA_CA_CERTS). Errors are {@link NetError}s carrying
 * their outcome class: phase-aware, so a reset during the handshake reads `tls_error`.
 */
export function createGuardedConnector(opts: GuardedConnectorOptions): buildConnector.connector {
  // One TLS context (Node's default roots plus NODE_EXTRA_CA_CERTS) shared by every connection:
  // tls.connect would otherwise build a fresh one per socket, a measurable cost at 250 servers/s.
  let secureContext: tls.SecureContext | undefined;
  return (options, callback) => {
    const hostname = normaliseHost(options.hostname);
    const https = options.protocol === "https:";
    const port = Number(options.port) || (https ? 443 : 80);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let socket: net.Socket | tls.TLSSocket | undefined;
    const fail = (err: NetError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      // Marked as a connection failure: the request never went out.
      callback(
        err instanceof ConnectError ? err : new ConnectError(err.outcome, err.message, { cause: err }),
        null,
      );
    };

    const literal = net.isIP(hostname);
    const addresses: Promise<{ address: string; family: 4 | 6 }[]> = literal
      ? (() => {
          const verdict = opts.guard.check(hostname);
          return verdict.allowed
            ? Promise.resolve([{ address: hostname, family: literal as 4 | 6 }])
            : Promise.reject(new NetError("private_address", `refused address: ${verdict.reason}`));
        })()
      : resolveAllowed(hostname, opts.resolver, opts.guard);

    addresses
      .then((list) => {
        const first = list[0];
        if (!first) throw new NetError("private_address", `${hostname}: no allowed address`);
        // Node calls `lookup` only for names; ours returns the list checked above and nothing else.
        const tcp = net.connect({
          host: list.length === 1 ? first.address : hostname,
          port,
          lookup:
            list.length === 1
              ? undefined
              : (_name, lookupOpts, cb) => {
                  if (lookupOpts.all) cb(null, list);
                  else cb(null, first.address, first.family);
                },
          autoSelectFamily: list.length > 1,
          autoSelectFamilyAttemptTimeout: FAMILY_ATTEMPT_MILLIS,
          noDelay: true,
        });
        socket = tcp;
        timer = setTimeout(
          () =>
            fail(new NetError("connect_timeout", `no TCP connection within ${opts.connectTimeoutMillis} ms`)),
          opts.connectTimeoutMillis,
        );
        const onTcpError = (err: Error): void => {
          const c = classifyNetError(err, "connect");
          fail(new NetError(c.outcome, c.detail, { cause: err }));
        };
        tcp.once("error", onTcpError);
        tcp.once("connect", () => {
          if (settled) return;
          clearTimeout(timer);
          tcp.off("error", onTcpError);
          const remoteAddress = tcp.remoteAddress ?? first.address;
          if (!https) {
            settled = true;
            opts.onConnected?.(hostname, remoteAddress);
            callback(null, tcp);
            return;
          }
          secureContext ??= tls.createSecureContext();
          const secure = tls.connect({
            socket: tcp,
            secureContext,
            host: hostname,
            servername: literal ? undefined : hostname,
            ALPNProtocols: ["http/1.1"],
          });
          socket = secure;
          // Node checks the host name (tls.checkServerIdentity: the leaf's subject and
          // subjectaltname) on getPeerCertificate(true), which also walks the chain and looks its
          // issuer up in the root store: ~0.35 ms a handshake, the largest item in the crawler's
          // profile. The leaf alone carries everything the check reads, for a tenth of the cost;
          // the chain is verified by OpenSSL during the handshake either way.
          Object.defineProperty(secure, "getPeerCertificate", {
            value: leafOnly,
            configurable: true,
            writable: true,
          });
          timer = setTimeout(
            () =>
              fail(
                new NetError(
                  "timeout",
                  `TLS handshake not finished within ${opts.handshakeTimeoutMillis} ms`,
                ),
              ),
            opts.handshakeTimeoutMillis,
          );
          const onTlsError = (err: Error): void => {
            const c = classifyNetError(err, "tls");
            fail(new NetError(c.outcome, c.detail, { cause: err }));
          };
          secure.once("error", onTlsError);
          secure.once("secureConnect", () => {
            Reflect.deleteProperty(secure, "getPeerCertificate");
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            secure.off("error", onTlsError);
            opts.onConnected?.(hostname, remoteAddress);
            callback(null, secure);
          });
        });
      })
      .catch((err: unknown) => {
        fail(err instanceof NetError ? err : new NetError("http_error", String(err), { cause: err }));
      });
  };
}

/**
 * Stands in for `getPeerCertificate` during a handshake: the leaf certificate only, whatever was
 * asked (Node's host-name check reads nothing else).
 */
function leafOnly(this: tls.TLSSocket): tls.PeerCertificate {
  return tls.TLSSocket.prototype.getPeerCertificate.call(this, false);
}
