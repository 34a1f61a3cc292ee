import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { identifySoftware, normalizeSoftwareName, softwareFamily, SOFTWARE_FAMILIES } from "./families.js";
import { readJsonFixture } from "./testing.js";

describe("softwareFamily", () => {
  it.each([
    ["mastodon", "mastodon"],
    ["Mastodon", "mastodon"],
    ["hometown", "mastodon"],
    ["firefish", "misskey"],
    ["calckey", "misskey"],
    ["sharkey", "misskey"],
    ["foundkey", "misskey"],
    ["iceshrimp", "misskey"],
    ["catodon", "misskey"],
    ["cherrypick", "misskey"],
    ["meisskey", "misskey"],
    ["dolphin", "misskey"],
    ["akkoma", "pleroma"],
    ["mbin", "kbin"],
    ["GNU Social", "gnusocial"],
    ["microblog.pub", "microblogpub"],
    ["gotosocial", "gotosocial"],
    ["Iceshrimp.NET", "iceshrimp.net"],
    ["something-new", "something-new"],
    ["  Some  Thing ", "some thing"],
    ["__proto__", "__proto__"],
    ["constructor", "constructor"],
  ])("%j → %s", (name, family) => {
    expect(softwareFamily(name)).toBe(family);
  });

  it("every family in the table is itself a known name or a documented family", () => {
    for (const family of new Set(Object.values(SOFTWARE_FAMILIES))) {
      expect(softwareFamily(family)).toBe(family);
    }
  });

  it("never throws and caps name length", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(normalizeSoftwareName(s).length).toBeLessThanOrEqual(64);
        expect(typeof softwareFamily(s)).toBe("string");
      }),
    );
  });
});

describe("identifySoftware: Mastodon forks", () => {
  type Row = [
    name: string,
    version: string | null,
    instanceVersion: string | null,
    fork: string | null,
    upstream: string | null,
  ];
  // Version strings are real: fixtures/datasets (FediDB 2023/2024), fixtures/instance_v1, or the
  // projects' own version.rb (kmyblue builds `+kmyblue.MAJOR.MINOR[-FLAG]`).
  const rows: Row[] = [
    ["mastodon", "4.3.0", null, null, null],
    ["mastodon", "4.1.4+glitch", null, "glitch-soc", "4.1.4"],
    ["mastodon", "4.3.0-alpha.4+glitch", null, "glitch-soc", "4.3.0-alpha.4"],
    ["mastodon", "4.1.2+glitch+closedsocial", null, "glitch-soc", "4.1.2"],
    ["mastodon", "4.3.0-alpha.4+qdon.glitch", null, "glitch-soc", "4.3.0-alpha.4"],
    ["mastodon", "4.3.0-alpha.4+glitch.donphan.social", null, "glitch-soc", "4.3.0-alpha.4"],
    ["mastodon", "4.3.0-nightly.2024-06-30+glitch", null, "glitch-soc", "4.3.0-nightly.2024-06-30"],
    ["mastodon", "4.2.10+glitch", null, "glitch-soc", "4.2.10"],
    ["mastodon", "3.5.3+hometown-1.0.8", null, "hometown", "3.5.3"],
    ["hometown", "1.0.8", "3.5.3+hometown-1.0.8", "hometown", "3.5.3"],
    ["mastodon", "4.3.0-alpha.4+chuckya", null, "chuckya", "4.3.0-alpha.4"],
    ["mastodon", "4.2.0+kmyblue.6.0", null, "kmyblue", "4.2.0"],
    ["mastodon", "4.3.0+kmyblue.15.3-LTS", null, "kmyblue", "4.3.0"],
    ["kmyblue", "4.4.0-alpha.2+kmyblue.17.0-dev", null, "kmyblue", "4.4.0-alpha.2"],
    ["kmyblue", "17.0", "4.4.0+kmyblue.17.0", "kmyblue", "4.4.0"],
    ["fedibird", "0.1", "3.4.1", "fedibird", "3.4.1"],
    ["fedibird", "0.1", null, "fedibird", null],
    ["ecko", "1.0.0", null, "ecko", null],
    // Not forks: mastodon.social's PR deploys and nightlies, custom suffixes.
    ["mastodon", "4.3.0+pr-32577-ba659d5", null, null, null],
    ["mastodon", "4.7.0-alpha.2+pr-39999-68e5caf", null, null, null],
    ["mastodon", "4.1.5+nightly-2023-07-28", null, null, null],
    ["mastodon", "4.3.0-alpha.3+vegan", null, null, null],
    ["mastodon", "4.2.9-stable+ff1", null, null, null],
    ["mastodon", "garbage", null, null, null],
    // NodeInfo missing a version: the instance API's version is used.
    ["mastodon", null, "4.2.10+glitch", "glitch-soc", "4.2.10"],
    // Fork suffixes on other families mean nothing.
    ["pleroma", "2.5.0+glitch", null, null, null],
  ];
  it.each(rows)("%s %j (instance %j) → %j", (name, version, instanceVersion, fork, upstreamVersion) => {
    const s = identifySoftware({ name, version, instanceVersion });
    expect(s.family).toBe(name === "pleroma" ? "pleroma" : "mastodon");
    expect(s.fork).toBe(fork);
    expect(s.upstreamVersion).toBe(upstreamVersion);
  });

  it("recognises Fedibird from its instance document (fixtures/instance_v1, fedibird.com)", () => {
    const doc = readJsonFixture("instance_v1", "fedibird-3.4.1-fedibird.com-milktea-test.json") as {
      version: string;
    };
    const s = identifySoftware({ name: "mastodon", version: doc.version, metadata: doc });
    expect(s).toMatchObject({
      family: "mastodon",
      fork: "fedibird",
      version: "3.4.1",
      upstreamVersion: "3.4.1",
    });
    expect(identifySoftware({ name: "mastodon", version: "3.4.1", metadata: { other: 1 } }).fork).toBeNull();
  });
});

describe("identifySoftware: general", () => {
  it("fills version from a compatible instance version when NodeInfo has none", () => {
    const s = identifySoftware({
      name: "pleroma",
      version: null,
      instanceVersion: "2.7.2 (compatible; Pleroma 2.5.0)",
    });
    expect(s).toMatchObject({ name: "pleroma", family: "pleroma", version: "2.5.0", fork: null });
    expect(s.parsedVersion).toMatchObject({ major: 2, minor: 5, patch: 0 });
  });

  it("keeps NodeInfo's version over the instance API's", () => {
    const s = identifySoftware({
      name: "sharkey",
      version: "2024.2.0-beta.12",
      instanceVersion: "3.0.0 (compatible; Sharkey 2024.1.0.beta1)",
    });
    expect(s.version).toBe("2024.2.0-beta.12");
  });

  it("lower-cases names and treats empty ones as unknown", () => {
    expect(identifySoftware({ name: "Iceshrimp.NET", version: "2024.1" }).name).toBe("iceshrimp.net");
    expect(identifySoftware({ name: "   ", version: null })).toMatchObject({
      name: "unknown",
      version: null,
      parsedVersion: null,
    });
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.option(fc.string()),
        fc.jsonValue(),
        fc.option(fc.string()),
        (name, version, metadata, iv) => {
          const s = identifySoftware({ name, version, metadata, instanceVersion: iv });
          expect(s.name.length).toBeGreaterThan(0);
          expect(s.fork === null || s.family === "mastodon").toBe(true);
        },
      ),
    );
  });
});
