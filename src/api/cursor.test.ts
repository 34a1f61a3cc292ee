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
    // Impossible calendar times that Date.parse rolls over (or PostgreSQL refuses).
    for (const v of [
      "2026-02-31T00:00:00.000Z",
      "2026-04-31T12:00:00.000Z",
      "2025-02-29T00:00:00.000Z",
      "2026-01-01T24:00:00.000Z",
      "0000-01-01T00:00:00.000Z",
    ]) {
      expect(decodeCursor(bad({ s: "first_seen", o: "asc", v, d: "x" }), "first_seen", "asc"), v).toBe(null);
    }
    expect(
      decodeCursor(
        bad({ s: "last_seen", o: "asc", v: "2024-02-29T23:59:59.999Z", d: "x" }),
        "last_seen",
        "asc",
      ),
    ).not.toBe(null);
    expect(decodeCursor(bad({ s: "users", o: "desc", v: 1, d: "a\u0000b" }), "users", "desc")).toBe(null);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = decodeCursor(s, "users", "desc");
        expect(r === null || typeof r.domain === "string").toBe(true);
      }),
    );
  });
});
