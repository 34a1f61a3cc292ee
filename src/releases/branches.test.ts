import { describe, expect, it } from "vitest";
import { buildBranchModel } from "./branches.js";
import { DEFAULT_EOL_TABLE, eolEntry, loadEolTable, mergeEolTables, parseEolTable } from "./eol-table.js";
import { mastodonReleasesAsOf, releaseOf } from "./testing.js";

const at = (s: string): Date => new Date(`${s}T12:00:00Z`);

describe("buildBranchModel", () => {
  it("finds branches, their latest patch and support on the simulated Mastodon history", () => {
    const now = at("2026-05-01");
    const m = buildBranchModel("mastodon", mastodonReleasesAsOf(now), DEFAULT_EOL_TABLE, now);
    expect([...m.branches.keys()]).toEqual(["3.5", "4.0", "4.1", "4.2", "4.3", "4.4", "4.5"]);
    expect(m.newest).toBe("4.5");
    const summary = Object.fromEntries(
      [...m.branches.values()].map((b) => [
        b.key,
        `${b.latest.tag} ${b.supported ? "yes" : "no"} ${b.supportSource}`,
      ]),
    );
    expect(summary).toEqual({
      "3.5": "v3.5.19 no table",
      "4.0": "v4.0.15 no table",
      "4.1": "v4.1.25 no table",
      "4.2": "v4.2.27 no table",
      "4.3": "v4.3.22 yes recent_release",
      "4.4": "v4.4.16 yes recent_release",
      "4.5": "v4.5.9 yes newest",
    });
    // Pre-releases are not finals.
    expect(m.branches.get("4.3")?.finals.map((v) => v.raw)).not.toContain("v4.3.0-beta.1");
  });

  it("judges branches the table does not name from the release data", () => {
    const releases = [
      releaseOf("1.0.0", "2025-01-01", { software: "x" }),
      releaseOf("1.0.1", "2025-02-01", { software: "x" }),
      releaseOf("1.1.0", "2025-06-01", { software: "x" }),
      releaseOf("2.0.0-rc1", "2025-12-01", { software: "x" }),
      releaseOf("not-a-version", "2025-12-01", { software: "x" }),
    ];
    const early = buildBranchModel("x", releases, {}, at("2025-07-01"));
    expect(early.branches.get("1.0")?.supportSource).toBe("recent_release");
    expect(early.newest).toBe("1.1");
    const late = buildBranchModel("x", releases, {}, at("2026-01-01"));
    expect(late.branches.get("1.0")).toMatchObject({ supported: false, supportSource: "stale" });
    expect(late.branches.get("1.1")).toMatchObject({ supported: true, supportSource: "newest" });
    expect(late.branches.has("2.0")).toBe(false); // only a pre-release
    const window = buildBranchModel("x", releases, {}, at("2025-12-01"), { supportWindowDays: 30 });
    expect(window.branches.get("1.0")?.supported).toBe(false);
    const table = buildBranchModel(
      "x",
      releases,
      { x: { "1.0": false, "1.1": "2025-12-31" } },
      at("2026-01-01"),
    );
    expect(table.branches.get("1.0")?.supported).toBe(true);
    expect(table.branches.get("1.1")?.supported).toBe(false);
  });
});

describe("EOL table", () => {
  it("reads dates as the last supported day, <X.Y as every older branch", () => {
    expect(eolEntry(DEFAULT_EOL_TABLE, "mastodon", 4, 2)?.supportedUntil?.toISOString()).toBe(
      "2026-01-09T00:00:00.000Z",
    );
    expect(eolEntry(DEFAULT_EOL_TABLE, "mastodon", 2, 9)).toEqual({ supportedUntil: null, eol: true });
    expect(eolEntry(DEFAULT_EOL_TABLE, "mastodon", 4, 5)).toBeNull();
    expect(eolEntry(DEFAULT_EOL_TABLE, "misskey", 2024, 1)).toBeNull();
  });

  it("validates and merges an override", () => {
    const r = parseEolTable({ Mastodon: { "4.3": "2026-05-06", "<4.0": true } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const merged = mergeEolTables(DEFAULT_EOL_TABLE, r.value);
    expect(merged.mastodon?.["4.3"]).toBe("2026-05-06");
    expect(merged.mastodon?.["4.2"]).toBe("2026-01-08");
    expect(eolEntry(merged, "mastodon", 3, 5)?.supportedUntil?.toISOString()).toBe(
      "2024-01-01T00:00:00.000Z",
    ); // exact key wins
    for (const bad of [
      { mastodon: { "4.x": true } },
      { mastodon: { "4.3": "soon" } },
      { mastodon: { "4.3": "2026-13-45" } },
      [],
    ]) {
      expect(parseEolTable(bad).ok).toBe(false);
    }
    expect(() => loadEolTable("/nonexistent/eol.json")).toThrow(/--eol-table/);
    expect(loadEolTable(null)).toBe(DEFAULT_EOL_TABLE);
  });
});
