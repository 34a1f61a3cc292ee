import { describe, expect, it } from "vitest";
import { TRANSPORTS } from "./connection.js";
import { fallbackChain } from "./server-listener.js";

const names = (c: { transport: string; host: string }[]) => c.map((x) => `${x.transport} ${x.host}`);

describe("fallbackChain", () => {
  it("tries the advertised streaming host's streams, then the domain's, then polls the domain", () => {
    expect(names(fallbackChain(TRANSPORTS, "a.example", "streaming.a.example"))).toEqual([
      "websocket streaming.a.example",
      "sse streaming.a.example",
      "websocket a.example",
      "sse a.example",
      "poll a.example",
    ]);
  });

  it("has each transport once when the streaming host is the domain", () => {
    expect(names(fallbackChain(TRANSPORTS, "a.example", "a.example"))).toEqual([
      "websocket a.example",
      "sse a.example",
      "poll a.example",
    ]);
  });

  it("never polls the streaming host, whatever the configured order", () => {
    expect(names(fallbackChain(["poll", "sse"], "a.example", "s.a.example"))).toEqual([
      "sse s.a.example",
      "poll a.example",
      "sse a.example",
    ]);
  });
});
