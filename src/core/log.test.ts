import { describe, expect, it } from "vitest";
import { createLogger, prettyLogLine } from "./log.js";

function capture(format: "json" | "pretty") {
  const lines: string[] = [];
  const logger = createLogger("debug", { write: (l: string) => lines.push(l) }, format);
  return { lines, logger };
}

describe("createLogger", () => {
  it("writes each key once, however deep the scope", () => {
    const { lines, logger } = capture("json");
    logger.child("crawl").child("geo").info("located", { domain: "a.example" });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.split('"scope":').length - 1).toBe(1);
    expect(JSON.parse(line)).toMatchObject({
      level: 30,
      scope: "crawl.geo",
      msg: "located",
      domain: "a.example",
    });
  });

  it("writes one readable line per entry in the pretty format", () => {
    const { lines, logger } = capture("pretty");
    logger.child("crawl").warn("seed refused", { seed: "bad name", n: 2, o: { a: 1 } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}crawl: seed refused {2}seed="bad name" n=2 o=\{"a":1\}\n$/,
    );
  });

  it("passes anything that is not a JSON object through as a line", () => {
    expect(prettyLogLine("not json")).toBe("not json\n");
  });
});
