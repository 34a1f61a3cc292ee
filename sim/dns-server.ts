import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";
import type { Answer, Packet, Question } from "dns-packet";

/**
 * What the simulated DNS server answers for one name and type. The caller's `resolve` callback
 * decides everything (wildcards, faults); the server only encodes it.
 * - `records`: NOERROR with these addresses (`ttlSecs` default 60).
 * - `nxdomain`: the name does not exist (RCODE 3).
 * - `servfail`: the server failed (RCODE 2).
 * - `timeout`: the query is dropped and never answered.
 * - `nodata`: the name exists but has no record of this type (NOERROR, no answers).
 */
export type DnsAnswer =
  | { kind: "records"; addresses: string[]; ttlSecs?: number }
  | { kind: "nxdomain" }
  | { kind: "servfail" }
  | { kind: "timeout" }
  | { kind: "nodata" };

/** Record types the server answers; every other type gets an empty NOERROR answer. */
export type DnsQueryType = "A" | "AAAA";

/** Options for {@link startDnsServer}. */
export interface DnsServerOptions {
  /** A loopback address to bind (UDP and TCP). Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 (default) picks a free one, the same for UDP and TCP. */
  port?: number;
  /**
   * Decides the answer for `name` (lower-cased, no trailing dot). May be async (to simulate a slow
   * server). A throwing or rejecting callback yields SERVFAIL.
   */
  resolve: (name: string, type: DnsQueryType) => DnsAnswer | Promise<DnsAnswer>;
  /**
   * A server that cannot keep up with a burst: a question arriving when more than `limit` others
   * arrived within the last `windowMillis` is dropped (`drop`, never answered) or answered
   * `delayMillis` late (`delay`). Default none: every question is answered at once.
   */
  burst?: DnsBurstLimit | null;
}

/** See {@link DnsServerOptions.burst}. */
export interface DnsBurstLimit {
  limit: number;
  windowMillis: number;
  mode: "drop" | "delay";
  /** For `delay`. Default 3000 ms. */
  delayMillis?: number;
}

/** A running simulated DNS server. */
export interface DnsServer {
  /** `host:port`, ready for `--dns-server` or `Resolver.setServers` (IPv6 hosts are bracketed). */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Questions received so far (UDP and TCP), answered or not. */
  readonly queries: number;
  /** Questions dropped or delayed by the burst limit. */
  readonly overBurst: number;
  close(): Promise<void>;
}

const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const DEFAULT_TTL_SECS = 60;
/** Classic DNS UDP payload limit, used when the query carries no EDNS(0) OPT record. */
const CLASSIC_UDP_LIMIT = 512;
/** Bytes a TCP client may send without completing a message before we hang up. */
const TCP_MAX_BUFFER = 64 * 1024;

/**
 * Starts a small authoritative DNS server on a loopback address, over UDP and TCP, for the
 * simulated fediverse and for tests. It only ever replies to the loopback client that asked (it
 * never initiates a packet), and refuses to bind a non-loopback address.
 */
export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new Error(`dns-server: refusing to bind non-loopback address ${host}`);
  let queries = 0;
  let overBurst = 0;
  const burst = opts.burst ?? null;
  /** Arrival times within the burst window, oldest first. */
  const arrivals: number[] = [];
  /** Whether a question arriving now is over the burst limit (and counts it). */
  const overLimit = (): boolean => {
    if (!burst) return false;
    const now = performance.now();
    while (arrivals.length > 0 && (arrivals[0] as number) <= now - burst.windowMillis) arrivals.shift();
    arrivals.push(now);
    if (arrivals.length <= burst.limit) return false;
    overBurst++;
    return true;
  };
  // A big receive buffer: a crawler's burst of hundreds of queries must not overflow the kernel's
  // default (~200 KiB ≈ 400 datagrams) and cost it a DNS retry timeout. The kernel caps it at
  // net.core.rmem_max.
  const udp = dgram.createSocket({
    type: net.isIPv6(host) ? "udp6" : "udp4",
    recvBufferSize: 8 * 1024 * 1024,
  });
  const tcpSockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    tcpSockets.add(socket);
    socket.on("close", () => tcpSockets.delete(socket));
    handleTcp(socket);
  });
  let closed = false;

  async function answer(query: Packet, udpLimit: number | null): Promise<Buffer | null> {
    const questions = query.questions ?? [];
    queries += questions.length;
    const question = questions[0];
    if (!question) return encodeResponse(query, 0, []);
    if (overLimit()) {
      if (burst?.mode === "drop") return null;
      await new Promise((r) => setTimeout(r, burst?.delayMillis ?? 3_000));
    }
    let result: DnsAnswer = { kind: "nodata" };
    if (question.type === "A" || question.type === "AAAA") {
      const name = question.name.toLowerCase().replace(/\.$/, "");
      try {
        result = await opts.resolve(name, question.type);
      } catch {
        result = { kind: "servfail" };
      }
    }
    let buf: Buffer | null;
    switch (result.kind) {
      case "timeout":
        return null;
      case "nxdomain":
        buf = encodeResponse(query, RCODE_NXDOMAIN, []);
        break;
      case "servfail":
        buf = encodeResponse(query, RCODE_SERVFAIL, []);
        break;
      case "nodata":
        buf = encodeResponse(query, 0, []);
        break;
      case "records":
        buf = encodeResponse(query, 0, recordsFor(question, result.addresses, result.ttlSecs));
        break;
    }
    if (udpLimit !== null && buf.length > udpLimit) {
      // Too big for UDP: say so (TC bit) and let the client retry over TCP.
      buf = encodeResponse(query, 0, [], dnsPacket.TRUNCATED_RESPONSE);
    }
    return buf;
  }

  udp.on("message", (msg, rinfo) => {
    if (closed || !isLoopback(rinfo.address)) return;
    let query: Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // garbage: a real server would drop it too
    }
    if (query.type !== "query") return;
    void answer(query, udpLimitOf(query)).then((buf) => {
      if (buf && !closed) udp.send(buf, rinfo.port, rinfo.address, () => {});
    });
  });
  udp.on("error", () => {});

  function handleTcp(socket: net.Socket): void {
    if (!isLoopback(socket.remoteAddress ?? "")) {
      socket.destroy();
      return;
    }
    let pending: Buffer = Buffer.alloc(0);
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (pending.length > TCP_MAX_BUFFER) {
        socket.destroy();
        return;
      }
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        let query: Packet;
        try {
          query = dnsPacket.decode(msg);
        } catch {
          socket.destroy();
          return;
        }
        void answer(query, null).then((buf) => {
          if (!buf || socket.destroyed) return;
          const framed = Buffer.alloc(2 + buf.length);
          framed.writeUInt16BE(buf.length, 0);
          buf.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  }

  const port = await bindBoth(udp, tcp, host, opts.port ?? 0);
  const address = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    address,
    host,
    port,
    get queries() {
      return queries;
    },
    get overBurst() {
      return overBurst;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}

/**
 * Binds TCP then UDP on the same port. With an ephemeral port, the kernel picks a free TCP port
 * whose UDP twin may be taken: then both are retried (up to 20 times) on a fresh pick.
 */
async function bindBoth(udp: dgram.Socket, tcp: net.Server, host: string, wanted: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    await listen(tcp, host, wanted);
    const port = (tcp.address() as net.AddressInfo).port;
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind({ address: host, port, exclusive: true }, () => {
          udp.off("error", reject);
          resolve();
        });
      });
      return port;
    } catch (err) {
      await new Promise<void>((r) => tcp.close(() => r()));
      if (wanted !== 0 || attempt >= 20) throw err;
    }
  }
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function recordsFor(question: Question, addresses: string[], ttlSecs?: number): Answer[] {
  const ttl = ttlSecs ?? DEFAULT_TTL_SECS;
  const out: Answer[] = [];
  for (const addr of addresses) {
    // Only addresses of the asked family go in: an A answer never carries an IPv6 address.
    if (question.type === "A" && net.isIPv4(addr))
      out.push({ type: "A", name: question.name, ttl, data: addr });
    if (question.type === "AAAA" && net.isIPv6(addr))
      out.push({ type: "AAAA", name: question.name, ttl, data: addr });
  }
  return out;
}

function encodeResponse(query: Packet, rcode: number, answers: Answer[], extraFlags = 0): Buffer {
  const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  return dnsPacket.encode({
    type: "response",
    id: query.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | extraFlags | rcode,
    questions: query.questions ?? [],
    answers,
  });
}

function udpLimitOf(query: Packet): number {
  for (const extra of query.additionals ?? []) {
    if (extra.type === "OPT") return Math.max(CLASSIC_UDP_LIMIT, extra.udpPayloadSize);
  }
  return CLASSIC_UDP_LIMIT;
}

function isLoopback(address: string): boolean {
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return (net.isIPv4(a) && a.startsWith("127.")) || a === "::1";
}
