import net from "node:net";
import tls from "node:tls";
import type { buildConnector } from "undici";
import type { AddressGuard } from "./address-guard.js";
import { ConnectError, NetError, classifyNetError } from "./errors.js";
import { resolveAllowed } from "./guarded-lookup.js";
import { checkNameOnLeafOnly, sharedClientContext } from "./tls-context.js";
import { normaliseHost, type Resolver } from "./resolver.js";
import type { TlsConnection } from "./host-gate.js";

/** Options for {@link createGuardedConnector}. */
export interface GuardedConnectorOptions {
  resolver: Resolver;
  guard: AddressGuard;
  /** TCP connection establishment (after DNS). config.connectTimeoutMillis, default 5 s. */
  connectTimeoutMillis: number;
  /** TLS handshake after the TCP connection. Default: config.firstByteTimeoutMillis (10 s). */
  handshakeTimeoutMillis: number;
  /**
   * Called once per new connection with the host name, the address actually connected to and, for
   * TLS, what the handshake negotiated.
   */
  onConnected?: (hostname: string, remoteAddress: string, tls: TlsConnection | null) => void;
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
            opts.onConnected?.(hostname, remoteAddress, null);
            callback(null, tcp);
            return;
          }
          const secure = tls.connect({
            socket: tcp,
            secureContext: sharedClientContext(),
            host: hostname,
            servername: literal ? undefined : hostname,
            ALPNProtocols: ["http/1.1"],
          });
          socket = secure;
          checkNameOnLeafOnly(secure);
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
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            secure.off("error", onTlsError);
            opts.onConnected?.(hostname, remoteAddress, {
              port,
              protocol: secure.getProtocol() ?? null,
              socket: new WeakRef(secure),
            });
            callback(null, secure);
          });
        });
      })
      .catch((err: unknown) => {
        fail(err instanceof NetError ? err : new NetError("http_error", String(err), { cause: err }));
      });
  };
}
