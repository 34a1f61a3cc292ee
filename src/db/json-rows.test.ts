import { describe, expect, it } from "vitest";
import { dateOrNull, numOrNull } from "./json-rows.js";

describe("row decoders", () => {
  it("read numbers from drivers that send BIGINT as strings, and keep null", () => {
    expect(numOrNull("9007199254740")).toBe(9007199254740);
    expect(numOrNull(42)).toBe(42);
    expect(numOrNull(null)).toBeNull();
    expect(numOrNull(undefined)).toBeNull();
  });

  it("read timestamps from a Date or an ISO string, and keep null", () => {
    const at = new Date("2026-03-01T12:00:00Z");
    expect(dateOrNull(at)?.getTime()).toBe(at.getTime());
    expect(dateOrNull("2026-03-01T12:00:00.000Z")?.getTime()).toBe(at.getTime());
    expect(dateOrNull(null)).toBeNull();
  });
});
