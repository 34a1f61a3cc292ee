import diagnostics from "node:diagnostics_channel";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { Worker } from "node:worker_threads";
import type { PemPair } from "../../sim/tls/ca.js";

/** What a test server saw; tests assert politeness and headers on it. */
export interface ServerLog {
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  /** Requests being handled right now, and the most ever at once. */
  inFlight: number;
  maxInFlight: number;
  /** TCP connections accepted. */
  connections: number;
}

/** A running loopback HTTP or HTTPS server. */
export interface TestServer {
  readonly host: string;
  readonly port: number;
  readonly log: ServerLog;
  close(): Promise<void>;
}

/** Options for {@link startTestServer}. */
export interface TestServerOptions {
  /** A loopback address (127.x.y.z or ::1); anything else is refused. */
  host: string;
  /** Default 443 with `tls`, 80 without. */
  port?: number;
  /** Serve HTTPS with this certificate; plain HTTP when absent. */
  tls?: PemPair & {
    minVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2";
    maxVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2";
    ciphers?: string;
  };
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

function assertLoopback(host: string): void {
  if (!(host.startsWith("127.") || host === "::1"))
    throw new Error(`test servers bind loopback only, not ${host}`);
}

/** Starts an HTTP(S) server on a loopback address, counting requests, concurrency and connections. */
export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  assertLoopback(opts.host);
  const log: ServerLog = { requests: [], inFlight: 0, maxInFlight: 0, connections: 0 };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    log.requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    log.inFlight++;
    log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
    res.once("close", () => log.inFlight--);
    opts.handler(req, res);
  };
  const server: http.Server = opts.tls
    ? https.createServer(
        {
          cert: opts.tls.cert,
          key: opts.tls.key,
          ...(opts.tls.minVersion ? { minVersion: opts.tls.minVersion } : {}),
          ...(opts.tls.maxVersion ? { maxVersion: opts.tls.maxVersion } : {}),
          ...(opts.tls.ciphers ? { ciphers: opts.tls.ciphers } : {}),
        },
        onRequest,
      )
    : http.createServer(onRequest);
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    log.connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: opts.host, port: opts.port ?? (opts.tls ? 443 : 80) }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: opts.host,
    port,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A raw TCP server (accepts, then runs `onSocket`): for servers that speak nothing or garbage. */
export async function startRawServer(
  host: string,
  port: number,
  onSocket: (socket: net.Socket) => void,
): Promise<{ connections: number; close(): Promise<void> }> {
  assertLoopback(host);
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => resolve());
  });
  return {
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A listening socket whose accept queue is full and never drained, so a new TCP connection to it
 * never completes (the kernel drops the SYN): a dead host on loopback, for `connect_timeout`. The
 * listener lives in a worker thread that blocks its event loop (Atomics.wait) right after
 * listening with backlog 1; two filler connections then fill the kernel's accept queue.
 */
export async function startBlackhole(host: string, port: number): Promise<{ close(): Promise<void> }> {
  assertLoopback(host);
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const net = require("node:net");
     const server = net.createServer(() => {});
     server.on("error", (err) => parentPort.postMessage("error: " + err.message));
     server.listen({ host: workerData.host, port: workerData.port, backlog: 1 }, () => {
       parentPort.postMessage("listening");
       setImmediate(() => Atomics.wait(workerData.flag, 0, 0));
     });`,
    { eval: true, workerData: { host, port, flag } },
  );
  const first = await new Promise<string>((resolve) => worker.once("message", resolve));
  if (first !== "listening") throw new Error(`blackhole: ${first}`);
  await new Promise((r) => setTimeout(r, 50));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const socket = net.connect({ host, port });
    socket.on("error", () => {});
    fillers.push(socket);
  }
  await new Promise((r) => setTimeout(r, 100));
  return {
    async close() {
      for (const s of fillers) s.destroy();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await worker.terminate();
    },
  };
}

/**
 * Records every outgoing TCP connection attempt made with `net` in this process (the
 * `net.client.socket` diagnostics channel plus each socket's `connectionAttempt` event, which Node
 * emits right before the kernel connect, for every address tried). The fetcher opens every socket
 * with `net.connect` (TLS goes over it), so this sees all its attempts, wherever they go.
 */
export function watchConnectionAttempts(): { attempts: { ip: string; port: number }[]; stop(): void } {
  const attempts: { ip: string; port: number }[] = [];
  const onSocket = (message: unknown): void => {
    const socket = (message as { socket: net.Socket }).socket;
    socket.on("connectionAttempt", (ip: string, port: number) => attempts.push({ ip, port }));
  };
  diagnostics.subscribe("net.client.socket", onSocket);
  return { attempts, stop: () => diagnostics.unsubscribe("net.client.socket", onSocket) };
}
