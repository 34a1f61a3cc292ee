import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planStatuses } from "../../sim/streaming-content.js";
import { peekFrameUri, peekStatusUri } from "./decode.js";

const frameOf = (payload: string, event = "update"): string =>
  JSON.stringify({ stream: ["public"], event, payload });

describe("peeking at a status URI without parsing", () => {
  it("reads the top-level URI of real (simulated) statuses, as a frame and as SSE data", () => {
    const plan = planStatuses({ seed: 3, count: 300, origins: ["a.test", "b.test"] });
    let read = 0;
    for (const it of plan.items) {
      const json = plan.json(it.index);
      const fromFrame = peekFrameUri(frameOf(json));
      const fromJson = peekStatusUri(json);
      expect([null, it.uri]).toContain(fromFrame);
      expect(fromJson).toBe(fromFrame);
      if (fromFrame !== null) read++;
    }
    // Mastodon orders `uri` before any nested object, so nearly every status can be peeked at.
    expect(read).toBeGreaterThan(250);
  });

  it("never returns anything but the top-level `uri` string, whatever the object", () => {
    const key = fc.constantFrom("uri", "id", "account", "reblog", "content", "x");
    const leaf = fc.oneof(fc.string({ maxLength: 12 }), fc.webUrl(), fc.integer(), fc.constant(null));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.dictionary(key, fc.oneof({ depthSize: "small" }, leaf, tie("tree")), { maxKeys: 5 }),
    }));
    fc.assert(
      fc.property(tree, (obj) => {
        const json = JSON.stringify(obj);
        const top =
          typeof (obj as Record<string, unknown>).uri === "string"
            ? (obj as Record<string, unknown>).uri
            : undefined;
        for (const got of [peekStatusUri(json), peekFrameUri(frameOf(json))]) {
          if (got !== null) expect(got).toBe(top);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("ignores other events, escaped URIs and non-object payloads", () => {
    const s = JSON.stringify({ id: "1", uri: "https://a.example/s/1" });
    expect(peekFrameUri(frameOf(s))).toBe("https://a.example/s/1");
    expect(peekFrameUri(frameOf(s, "status.update"))).toBeNull();
    expect(peekFrameUri(frameOf("12345", "delete"))).toBeNull();
    expect(peekStatusUri(JSON.stringify({ uri: 'https://a.example/"q"' }))).toBeNull();
    expect(
      peekStatusUri(JSON.stringify({ account: { uri: "https://a.example/u" }, uri: "https://a.example/s" })),
    ).toBeNull();
    expect(peekFrameUri("not json")).toBeNull();
  });
});
