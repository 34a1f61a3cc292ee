import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.js";

describe("cursors", () => {
  it("round-trip for their own sort and order only", () => {
    const c = encodeCursor("users", "desc", { value: 1234, domain: "a.example" });
    expect(decodeCursor(c, "users", "desc")).toEqual({ value: 1234, domain: "a.example" });
    expect(decodeCursor(c, "users", "asc")).toBe(null);
    expect(decodeCursor(c, "posts", "desc")).toBe(null);
    const t = encodeCursor("last_seen", "desc", { value: "2026-03-01T00:00:00.000Z", domain: "b.example" });
    expect(decodeCursor(t, "last_seen", "desc")?.value).toBe("2026-03-01T00:00:00.000Z");
    expect(
      decodeCursor(encodeCursor("users", "desc", { value: null, domain: "z" }), "users", "desc")?.value,
    ).toBe(null);
  });

  it("refuse anything else without throwing", () => {
    const bad = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    expect(decodeCursor(bad({ s: "users", o: "desc", v: 1e300, d: "x" }), "users", "desc")).toBe(null);
    expect(decodeCursor(bad({ s: "users", o: "desc", v: "1", d: "x" }), "users", "desc")).toBe(null);
    expect(decodeCursor(bad({ s: "first_seen", o: "desc", v: "2026", d: "x" }), "first_seen", "desc")).toBe(
      null,
    );
    expect(decodeCursor(bad({ s: "users", o: "desc", v: 1, d: "x", extra: 1 }), "users", "desc")).toBe(null);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = decodeCursor(s, "users", "desc");
        expect(r === null || typeof r.domain === "string").toBe(true);
      }),
    );
  });
});
