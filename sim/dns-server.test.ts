import { promises as dns } from "node:dns";
import net from "node:net";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type DnsAnswer, type DnsServer } from "./dns-server.js";

const zone: Record<string, DnsAnswer> = {
  "one.test": { kind: "records", addresses: ["127.0.0.5"], ttlSecs: 42 },
  "dual.test": { kind: "records", addresses: ["127.0.0.6", "127.0.0.7", "::1"] },
  "gone.test": { kind: "nxdomain" },
  "broken.test": { kind: "servfail" },
  "silent.test": { kind: "timeout" },
  "empty.test": { kind: "nodata" },
  "many.test": {
    kind: "records",
    addresses: Array.from({ length: 120 }, (_, i) => `127.0.1.${i}`),
  },
};

describe("startDnsServer", () => {
  let server: DnsServer;
  let resolver: dns.Resolver;
  const seen: string[] = [];

  beforeAll(async () => {
    server = await startDnsServer({
      resolve: async (name) => {
        seen.push(name);
        if (name === "throws.test") throw new Error("boom");
        return zone[name] ?? { kind: "nxdomain" };
      },
    });
    resolver = new dns.Resolver({ timeout: 250, tries: 1 });
    resolver.setServers([server.address]);
  });
  afterAll(async () => {
    await server.close();
  });

  it("binds an ephemeral loopback port and reports it", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  });

  it("answers A records with their TTL, passing the name lower-cased without trailing dot", async () => {
    expect(await resolver.resolve4("One.TEST.", { ttl: true })).toEqual([{ address: "127.0.0.5", ttl: 42 }]);
    expect(seen).toContain("one.test");
    expect(seen.some((n) => n !== n.toLowerCase() || n.endsWith("."))).toBe(false);
  });

  it("puts only the asked family into each answer", async () => {
    expect((await resolver.resolve4("dual.test")).sort()).toEqual(["127.0.0.6", "127.0.0.7"]);
    expect(await resolver.resolve6("dual.test")).toEqual(["::1"]);
    await expect(resolver.resolve6("one.test")).rejects.toMatchObject({ code: "ENODATA" });
  });

  it("maps each fault to what a real resolver sees", async () => {
    await expect(resolver.resolve4("gone.test")).rejects.toMatchObject({ code: "ENOTFOUND" });
    await expect(resolver.resolve4("broken.test")).rejects.toMatchObject({ code: "ESERVFAIL" });
    await expect(resolver.resolve4("empty.test")).rejects.toMatchObject({ code: "ENODATA" });
    await expect(resolver.resolve4("throws.test")).rejects.toMatchObject({ code: "ESERVFAIL" });
  });

  it("never answers a timeout name", async () => {
    const before = server.queries;
    await expect(resolver.resolve4("silent.test")).rejects.toMatchObject({ code: "ETIMEOUT" });
    expect(server.queries).toBeGreaterThan(before);
  });

  it("truncates big UDP answers so the client retries over TCP", async () => {
    const before = server.queries;
    const got = await resolver.resolve4("many.test");
    expect(got).toHaveLength(120);
    expect(server.queries - before).toBe(2); // once over UDP (truncated), once over TCP
  });

  it("answers several queries on one TCP connection", async () => {
    const socket = net.connect({ host: server.host, port: server.port });
    await new Promise((r) => socket.once("connect", r));
    const frames = [1, 2].map((id) =>
      dnsPacket.streamEncode({ type: "query", id, questions: [{ type: "A", name: "one.test" }] }),
    );
    socket.write(Buffer.concat(frames));
    let buf = Buffer.alloc(0);
    const answers: dnsPacket.Packet[] = [];
    await new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          answers.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (answers.length === 2) resolve();
      });
    });
    socket.destroy();
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2]);
    expect(answers[0]?.answers?.[0]).toMatchObject({ type: "A", data: "127.0.0.5" });
  });

  it("counts queries", async () => {
    const before = server.queries;
    await resolver.resolve4("one.test");
    expect(server.queries).toBe(before + 1);
  });
});

describe("startDnsServer options", () => {
  it("refuses to bind a non-loopback address", async () => {
    await expect(startDnsServer({ host: "0.0.0.0", resolve: () => ({ kind: "nodata" }) })).rejects.toThrow(
      /non-loopback/,
    );
  });

  it("binds another loopback address and a fixed port, and closes cleanly", async () => {
    const first = await startDnsServer({ host: "127.0.0.1", resolve: () => ({ kind: "nodata" }) });
    const port = first.port;
    await first.close();
    const server = await startDnsServer({
      host: "127.0.0.1",
      port,
      resolve: () => ({ kind: "records", addresses: ["127.9.9.9"] }),
    });
    const resolver = new dns.Resolver({ timeout: 250, tries: 1 });
    resolver.setServers([server.address]);
    expect(await resolver.resolve4("x.test")).toEqual(["127.9.9.9"]);
    await server.close();
    await server.close(); // idempotent
  });
});
