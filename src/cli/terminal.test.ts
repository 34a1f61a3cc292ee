import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressView, nothingReachedLines } from "./progress.js";
import { cliLogger, TerminalLine } from "./terminal.js";

function terminal(isTTY: boolean) {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  out.isTTY = isTTY;
  out.columns = 200;
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  return { line: new TerminalLine(out), text: () => text };
}

const snapshot = {
  done: 3,
  queued: 2,
  inFlight: 1,
  ratePerSec: 1.5,
  ok: 3,
  failuresByOutcome: {},
  etaSecs: 2,
  requests: { total: 9 },
};

describe("the terminal line", () => {
  it("clears the progress line before a log line and draws it again below", () => {
    const t = terminal(true);
    const view = new ProgressView(t.line);
    view.update(snapshot);
    cliLogger({ logLevel: "info", logFormat: "json" }, t.line).info("crawl finished");
    const clear = "\r\x1b[2K";
    const shown = t.text().split("\n");
    const [progress, log] = (shown[0] ?? "").split(clear).slice(1);
    expect(progress).toMatch(/^done 3 .* eta 2s$/);
    expect(log).toMatch(/^\{"level":30,.*"msg":"crawl finished"\}$/);
    expect(shown[1]).toMatch(/^done 3 .*requests 9 {2}eta 2s$/);
    view.finish("crawl finished: polled 3");
    expect(t.text().endsWith("\r\x1b[2Kcrawl finished: polled 3\n")).toBe(true);
  });

  it("logs readable lines on a terminal and JSON elsewhere, unless --log-format says", () => {
    for (const [tty, format, json] of [
      [true, null, false],
      [false, null, true],
      [true, "json", true],
      [false, "pretty", false],
    ] as const) {
      const t = terminal(tty);
      cliLogger({ logLevel: "info", logFormat: format }, t.line).child("crawl").info("hello");
      expect(t.text().startsWith("{"), `${tty} ${format}`).toBe(json);
    }
  });

  it("with --log-format json off a terminal, turns the command's own messages into JSON records", () => {
    for (const tty of [false, true]) {
      const t = terminal(tty);
      cliLogger({ logLevel: "info", logFormat: "json" }, t.line).info("hello");
      const view = new ProgressView(t.line);
      view.note("a.example: refused");
      view.finish("crawl finished: polled 3\nsecond line");
      t.line.write("fedimon: it broke", 50);
      const lines = t.text().split("\r\x1b[2K").join("").trimEnd().split("\n");
      if (tty) {
        expect(lines.slice(1)).toEqual([
          "a.example: refused",
          "crawl finished: polled 3",
          "second line",
          "fedimon: it broke",
        ]);
        continue;
      }
      const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(records.map((r) => [r.level, r.msg])).toEqual([
        [30, "hello"],
        [30, "a.example: refused"],
        [30, "crawl finished: polled 3"],
        [30, "second line"],
        [50, "fedimon: it broke"],
      ]);
    }
  });

  it("draws no live line off a terminal, but notes and the summary still print", () => {
    const t = terminal(false);
    const view = new ProgressView(t.line);
    view.update(snapshot);
    view.note("a.example: refused, connection refused: no server reached");
    view.finish("done");
    expect(t.text()).toBe("a.example: refused, connection refused: no server reached\ndone\n");
  });
});

describe("nothingReachedLines", () => {
  it("names each failed seed with its outcome and reason", () => {
    expect(
      nothingReachedLines({
        done: 1,
        ok: 0,
        failuresByOutcome: { dns_error: 1 },
        seeds: [
          {
            domain: "mastodon.social",
            outcome: "dns_error",
            detail:
              "robots.txt could not be read: mastodon.social: DNS failure (A ECONNREFUSED, AAAA ECONNREFUSED); nothing else was asked",
          },
        ],
      }),
    ).toEqual([
      "mastodon.social: dns_error, DNS failure (A ECONNREFUSED, AAAA ECONNREFUSED) (reading robots.txt): no server reached; is this machine online?",
    ]);
    expect(
      nothingReachedLines({
        done: 1,
        ok: 0,
        failuresByOutcome: { opted_out: 1 },
        seeds: [{ domain: "a.example", outcome: "opted_out", detail: "HTTP 410 on discovery" }],
      }),
    ).toEqual(["a.example: opted_out, HTTP 410 on discovery: no server reached"]);
  });

  it("says nothing when something answered or nothing was polled", () => {
    expect(nothingReachedLines({ done: 5, ok: 1, failuresByOutcome: { refused: 4 } })).toBeNull();
    expect(nothingReachedLines({ done: 0, ok: 0, failuresByOutcome: {} })).toBeNull();
    expect(nothingReachedLines({ done: 2, ok: 0, failuresByOutcome: { refused: 2 } })).toEqual([
      "no server reached: 2 polled, none answered (refused 2); is this machine online?",
    ]);
  });
});
