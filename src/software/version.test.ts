import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ParsedVersion } from "../core/observation.js";
import { readJsonFixture } from "./testing.js";
import { compareVersions, formatVersion, parseCompatibleVersion, parseVersion } from "./version.js";

type Row = [
  raw: string,
  major: number | null,
  minor: number | null,
  patch: number | null,
  pre: string | null,
  build: string | null,
];

// Every string here was served by a real server (fixtures/) or given in the task.
const rows: Row[] = [
  ["4.3.0", 4, 3, 0, null, null],
  ["4.3.0-beta.2", 4, 3, 0, "beta.2", null],
  ["4.2.10+glitch", 4, 2, 10, null, "glitch"],
  ["3.5.3+hometown-1.0.8", 3, 5, 3, null, "hometown-1.0.8"],
  ["4.4.0-nightly.2025-05-01", 4, 4, 0, "nightly.2025-05-01", null],
  ["4.5.0-nightly.2025-08-06-security", 4, 5, 0, "nightly.2025-08-06-security", null],
  ["4.3.0+pr-32577-ba659d5", 4, 3, 0, null, "pr-32577-ba659d5"],
  ["4.7.0-alpha.2+pr-39999-68e5caf", 4, 7, 0, "alpha.2", "pr-39999-68e5caf"],
  ["4.1.5+nightly-2023-07-28", 4, 1, 5, null, "nightly-2023-07-28"],
  ["2.7.2 (compatible; Pleroma 2.4.3)", 2, 7, 2, null, null],
  ["3.0.0 (compatible; Misskey 12.0)", 3, 0, 0, null, null],
  ["4.2.1 (compatible; Iceshrimp.NET/2024.1-beta2.security3+e1d25a9231)", 4, 2, 1, null, null],
  ["2024.11.0-beta.3", 2024, 11, 0, "beta.3", null],
  ["2024.1.0.beta1", 2024, 1, 0, "beta1", null],
  ["2024.1-beta2.security3+e1d25a9231", 2024, 1, null, "beta2.security3", "e1d25a9231"],
  ["v1.2.3", 1, 2, 3, null, null],
  ["0.19.3", 0, 19, 3, null, null],
  ["1.0.0rc1", 1, 0, 0, "rc1", null],
  ["4.0.0rc2", 4, 0, 0, "rc2", null],
  ["4.2.0+kmyblue.10.2", 4, 2, 0, null, "kmyblue.10.2"],
  ["0.16.0+git-f1cbf6f", 0, 16, 0, null, "git-f1cbf6f"],
  ["3.12.2-0-g26a91d5", 3, 12, 2, null, "0-g26a91d5"],
  ["2.7.0-70-g36d469cf", 2, 7, 0, null, "70-g36d469cf"],
  ["2.5.51-9314-g9528fc46-shitposterclub", 2, 5, 51, null, "9314-g9528fc46-shitposterclub"],
  ["2.0.7-stable", 2, 0, 7, null, "stable"],
  ["0.7.4.0-pd0313756", 0, 7, 4, "pd0313756", null],
  ["10.102.699-m544", 10, 102, 699, "m544", null],
  ["24.04-dev.2", 24, 4, null, "dev.2", null],
  ["2024.03-1557", 2024, 3, null, "1557", null],
  ["2023.05", 2023, 5, null, null, null],
  ["20240504", 20240504, null, null, null, null],
  ["0.0.0-testrig", 0, 0, 0, "testrig", null],
  ["  4.3.0  ", 4, 3, 0, null, null],
  // custom builds seen in the FediDB dataset (datasets/fedidb-api-v1-servers-2024-06.json)
  ["4.2.8~wxw", 4, 2, 8, "wxw", null],
  ["4.2.9+-kurry-2.0", 4, 2, 9, null, "-kurry-2.0"],
  ["4.2.9-stable+ff1", 4, 2, 9, null, "stable+ff1"],
  ["4.3.0-Nightly.240620+Xajh", 4, 3, 0, "Nightly.240620", "Xajh"],
  ["13.14.2-io.5", 13, 14, 2, "io.5", null],
  // garbage
  ["", null, null, null, null, null],
  ["garbage", null, null, null, null, null],
  ["e1d25a9231", null, null, null, null, null],
  ["4.3.0 and more", null, null, null, null, null],
  ["1.2.3-", null, null, null, null, null],
  ["1.2.3+", null, null, null, null, null],
  ["..1", null, null, null, null, null],
  ["1234567890123456", null, null, null, null, null],
  ["4".repeat(300), null, null, null, null, null],
];

describe("parseVersion", () => {
  it.each(rows)("%j", (raw, major, minor, patch, prerelease, build) => {
    expect(parseVersion(raw)).toEqual({ raw, major, minor, patch, prerelease, build });
  });

  it("never throws and always keeps raw", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const v = parseVersion(s);
        expect(v.raw).toBe(s);
        if (v.major === null)
          expect([v.minor, v.patch, v.prerelease, v.build]).toEqual([null, null, null, null]);
        else expect(Number.isSafeInteger(v.major)).toBe(true);
      }),
    );
  });

  it("reads hostile near-versions in linear time", () => {
    const start = performance.now();
    for (let i = 0; i < 1000; i++) parseVersion(`1.${"1.".repeat(95)}-`);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it("survives non-strings passed through untyped JSON", () => {
    expect(parseVersion(42 as unknown as string).major).toBeNull();
    expect(parseVersion(null as unknown as string).major).toBeNull();
  });

  // A semver identifier that the lenient rules do not reinterpret: no git-describe or `stable`,
  // and no trailing hyphen (`1.2.3-` is read as garbage, not as pre-release `3-` of `1.2`).
  const ident = fc
    .stringMatching(/^[0-9A-Za-z](?:[0-9A-Za-z-]{0,7}[0-9A-Za-z])?$/)
    .filter((s) => !/^\d+-g[0-9a-f]{6}/.test(s) && !["stable", "release", "final"].includes(s));
  const dotted = fc.array(ident, { minLength: 1, maxLength: 3 }).map((a) => a.join("."));
  const num = fc.integer({ min: 0, max: 99999 });
  const version: fc.Arbitrary<ParsedVersion> = fc
    .record({
      major: num,
      minor: num,
      patch: num,
      prerelease: fc.option(dotted, { nil: null }),
      build: fc.option(dotted, { nil: null }),
    })
    .map((v) => ({ ...v, raw: "" }));

  it("round-trips: parseVersion(formatVersion(v)) equals v", () => {
    fc.assert(
      fc.property(version, (v) => {
        const text = formatVersion(v) as string;
        expect(parseVersion(text)).toEqual({ ...v, raw: text });
      }),
    );
  });
});

describe("versions in the fixtures' datasets", () => {
  it("every software version FediDB recorded parses", () => {
    const versions = new Set<string>();
    for (const file of ["fedidb-api-v1-servers-2023-08.json", "fedidb-api-v1-servers-2024-06.json"]) {
      const data = readJsonFixture("datasets", file) as { data: { software: { version: string } }[] };
      for (const server of data.data) versions.add(server.software.version);
    }
    expect(versions.size).toBeGreaterThan(50);
    const unparsed = [...versions].filter((v) => parseVersion(v).major === null);
    expect(unparsed).toEqual([]);
  });
});

describe("parseCompatibleVersion", () => {
  it.each([
    ["2.7.2 (compatible; Pleroma 2.4.3)", { apiVersion: "2.7.2", name: "Pleroma", version: "2.4.3" }],
    [
      "2.3.3 (compatible; Pleroma 0.9.0 ffa552f1a41c530a7eff25d27cf0a82e710067b6)",
      { apiVersion: "2.3.3", name: "Pleroma", version: "0.9.0" },
    ],
    [
      "4.2.1 (compatible; Iceshrimp.NET/2024.1-beta2.security3+e1d25a9231)",
      { apiVersion: "4.2.1", name: "Iceshrimp.NET", version: "2024.1-beta2.security3+e1d25a9231" },
    ],
    [
      "3.0.0 (compatible; Sharkey 2024.1.0.beta1)",
      { apiVersion: "3.0.0", name: "Sharkey", version: "2024.1.0.beta1" },
    ],
    ["4.2.8 (compatible; Firefish 20240909)", { apiVersion: "4.2.8", name: "Firefish", version: "20240909" }],
    ["4.3.0", null],
    ["(compatible; x)", null],
  ])("%j", (raw, expected) => {
    expect(parseCompatibleVersion(raw)).toEqual(expected);
  });
});

describe("compareVersions", () => {
  it("sorts releases by semver precedence", () => {
    const sorted = [
      "garbage",
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0rc1",
      "1.0.0-rc2",
      "1.0.0-rc10",
      "1.0.0",
      "1.0.1",
      "1.2",
      "1.10.0",
      "4.4.0-nightly.2025-05-01",
      "4.4.0-nightly.2025-06-01",
      "4.4.0",
      "2024.11.0-beta.3",
      "2024.11.0",
    ];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareVersions)).toEqual(sorted);
  });

  it.each([
    ["4.2.10+glitch", "4.2.10", 0],
    ["3.12.2-0-g26a91d5", "3.12.2", 0],
    ["0.7.4.1", "0.7.4.0", 1],
    ["2023.05", "2023.5.0", 0],
    ["v1.2.3", "1.2.3", 0],
    ["1.0.0", "1.0.0-rc1", 1],
    ["a", "b", -1],
  ] as const)("%s vs %s → %i", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
    expect(Math.sign(compareVersions(parseVersion(a), parseVersion(b)))).toBe(sign);
  });

  it("is antisymmetric and transitive on arbitrary strings", () => {
    const v = fc.oneof(
      fc.string(),
      fc.stringMatching(/^v?\d{1,3}(\.\d{1,3}){0,3}(-[a-z0-9.]{1,6})?(\+[a-z0-9]{1,4})?$/),
    );
    fc.assert(
      fc.property(v, v, v, (a, b, c) => {
        expect(Math.sign(compareVersions(a, b))).toBe(-Math.sign(compareVersions(b, a)) || 0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) {
          expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });
});
