import http from "node:http";
import https from "node:https";
import net from "node:net";
import type tls from "node:tls";
import { geoHosts, type TlsProfile } from "./geo-blocks.js";

/** The loopback addresses of one simulation, one per behaviour (DNS picks the one a server needs). */
export interface SimAddresses {
  /** `127.A.B`. */
  base: string;
  /** HTTPS on :443 and HTTP on :80 for every healthy (or HTTP-faulty) server. */
  main: string;
  /** Plain HTTP spoken on :443 (`tls_plain_http`). */
  plainHttp: string;
  /** Answers every ClientHello with a fatal TLS alert (`tls_broken_handshake`). */
  brokenTls: string;
  /** Accepts and never says a word (`hang_after_accept`). */
  hang: string;
  /** Nothing listens here (`dead_host`: connection refused). */
  dead: string;
  /** The DNS server. */
  dns: string;
  /**
   * Addresses in the per-country blocks (sim/geo-blocks.ts), served like `main`: DNS answers one of
   * them for most healthy servers, so the simulation's MMDBs can place them.
   */
  geo: readonly string[];
  /** The TLS versions each geo address offers (the main address offers TLS 1.2 and 1.3). */
  tlsOf: ReadonlyMap<string, TlsProfile>;
}

/** Server-side TLS version options of a profile. */
export function tlsVersionOptions(profile: TlsProfile): tls.TlsOptions {
  switch (profile) {
    case "modern":
      return { minVersion: "TLSv1.2", maxVersion: "TLSv1.3" };
    case "tls12_only":
      return { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" };
    case "legacy":
      // TLS 1.0 and 1.1 need OpenSSL's security level lowered, as old servers run it.
      return { minVersion: "TLSv1", maxVersion: "TLSv1.3", ciphers: "DEFAULT:@SECLEVEL=0" };
  }
}

/** The addresses under `127.A.B`. */
export function addressesFor(base: string): SimAddresses {
  return {
    base,
    main: `${base}.1`,
    plainHttp: `${base}.2`,
    brokenTls: `${base}.3`,
    hang: `${base}.4`,
    dead: `${base}.9`,
    dns: `${base}.53`,
    geo: geoHosts(base).map((h) => h.address),
    tlsOf: new Map(geoHosts(base).map((h) => [h.address, h.tls])),
  };
}

/** A TLS alert record: fatal (2), handshake_failure (40). */
const TLS_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
const NGINX_400 =
  "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 150\r\nConnection: close\r\n\r\n" +
  "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/** The running listeners, closed together. */
export class Listeners {
  readonly #servers: net.Server[] = [];
  readonly #sockets = new Set<net.Socket>();

  /** Starts the main HTTPS (:443) and HTTP (:80) servers and the fault listeners. */
  async start(
    addr: SimAddresses,
    tlsOptions: tls.TlsOptions,
    onRequest: (req: http.IncomingMessage, res: http.ServerResponse, port: number) => void,
    onUpgrade: (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void,
  ): Promise<void> {
    // The main address and every geo block address serve the same virtual hosts.
    const served = [addr.main, ...addr.geo].flatMap((host) => {
      const versions = tlsVersionOptions(addr.tlsOf.get(host) ?? "modern");
      const secure = https.createServer(
        { ...tlsOptions, ...versions, keepAliveTimeout: 30_000 },
        (req, res) => onRequest(req, res, 443),
      );
      secure.on("upgrade", onUpgrade);
      secure.on("tlsClientError", () => {}); // clients that refuse our certificates are expected
      const plain = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => onRequest(req, res, 80));
      plain.on("upgrade", onUpgrade);
      return [this.#listen(secure, host, 443), this.#listen(plain, host, 80)];
    });
    const plainOn443 = net.createServer((socket) => this.#raw(socket, () => socket.end(NGINX_400)));
    const brokenTls = net.createServer((socket) => this.#raw(socket, () => socket.end(TLS_ALERT)));
    const hang = net.createServer((socket) => this.#raw(socket, null));
    await Promise.all([
      ...served,
      this.#listen(plainOn443, addr.plainHttp, 443),
      this.#listen(brokenTls, addr.brokenTls, 443),
      this.#listen(hang, addr.hang, 443),
    ]);
  }

  #raw(socket: net.Socket, onFirstData: (() => void) | null): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => {});
    if (onFirstData) socket.once("data", onFirstData);
  }

  #listen(server: net.Server, host: string, port: number): Promise<void> {
    this.#servers.push(server);
    server.on("connection", (socket: net.Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  /** Stops listening and drops every open connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all(
      this.#servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s.listening) return resolve();
            s.close(() => resolve());
            if (s instanceof http.Server) s.closeAllConnections();
          }),
      ),
    );
  }
}
