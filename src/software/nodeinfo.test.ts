import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNodeInfo, parseNodeInfoDiscovery } from "./nodeinfo.js";
import { listFixtures, readJsonFixture } from "./testing.js";

const files = listFixtures("nodeinfo");
const isDiscovery = (f: string) => f.includes("wellknown-nodeinfo");
const isSchema = (f: string) => f.startsWith("spec-schema-");
const documents = files.filter((f) => !isDiscovery(f) && !isSchema(f));

// Files whose name does not start with `<software>-<version as served>`.
const NAME_NOT_VERSION = new Set([
  "diaspora-0.7.4.0-nodeinfo-1.0.json", // served 0.7.4.0-pd0313756
  "diaspora-0.7.4.0-nodeinfo-2.0.json",
  "pleroma-2.5.51-shitposterclub-nodeinfo-2.0.json", // served 2.5.51-9314-g9528fc46-shitposterclub
  "pleroma-invalid-usage-counts-nodeinfo-2.1.json",
  "pixelfed-fediversespace-test-nodeinfo-2.0.json",
]);

describe("fixtures/nodeinfo: every file", () => {
  it("has the kinds of files this test expects", () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
    expect(files.filter(isDiscovery).length).toBeGreaterThanOrEqual(8);
  });

  it.each(documents)("document %s parses", (file) => {
    const r = parseNodeInfo(readJsonFixture("nodeinfo", file));
    if (!r.ok) throw new Error(r.reason);
    const v = r.value;
    if (file.startsWith("spec-example-")) {
      expect(v.software).toMatchObject({ name: "diaspora", version: "0.5.0" });
    } else if (file.startsWith("nodeinfo2-")) {
      expect(v.software.name).toBe("example");
    } else if (NAME_NOT_VERSION.has(file)) {
      expect(file.startsWith(`${v.software.name}-`)).toBe(true);
    } else {
      expect(file.startsWith(`${v.software.name}-${v.software.version}-`)).toBe(true);
    }
    expect(v.software.parsedVersion?.major).not.toBeNull();
    expect(v.protocols.length).toBeGreaterThan(0);
    // Only the known-bad fixture has a rejected field.
    expect(v.rejectedFields).toEqual(
      file === "pleroma-invalid-usage-counts-nodeinfo-2.1.json" ? ["localPosts: not a number (object)"] : [],
    );
    // Discovery-parsing a document fails (no links).
    expect(parseNodeInfoDiscovery(readJsonFixture("nodeinfo", file)).ok).toBe(false);
  });

  it.each(files.filter(isDiscovery))("discovery %s parses", (file) => {
    const json = readJsonFixture("nodeinfo", file);
    const r = parseNodeInfoDiscovery(json);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.length).toBeGreaterThan(0);
    for (const link of r.value) expect(link.href).toMatch(/^https?:\/\//);
    const versions = r.value.map((l) => Number(l.schemaVersion));
    expect(versions).toEqual([...versions].sort((a, b) => b - a));
    expect(parseNodeInfo(json).ok).toBe(false);
  });

  it.each(files.filter(isSchema))("JSON Schema %s is not a NodeInfo document", (file) => {
    const r = parseNodeInfo(readJsonFixture("nodeinfo", file));
    expect(r.ok).toBe(false);
  });
});

describe("parseNodeInfo: values", () => {
  const parse = (file: string) => {
    const r = parseNodeInfo(readJsonFixture("nodeinfo", file));
    if (!r.ok) throw new Error(r.reason);
    return r;
  };

  it("reads mastodon.social 4.6.0-nightly", () => {
    const { value } = parse("mastodon-4.6.0-nightly.2026-04-09-mastodon.social-nodeinfo-2.0.json");
    expect(value).toMatchObject({
      schemaVersion: "2.0",
      protocols: ["activitypub"],
      usersTotal: 3226718,
      usersActiveMonth: 286109,
      usersActiveHalfyear: 722982,
      localPosts: 170371307,
      openRegistrations: true,
      approvalRequired: null,
      nodeName: "Mastodon",
      languages: null,
    });
    expect(value.software).toMatchObject({ name: "mastodon", family: "mastodon", fork: null });
    expect(value.software.parsedVersion).toMatchObject({
      major: 4,
      minor: 6,
      patch: 0,
      prerelease: "nightly.2026-04-09",
    });
  });

  it("merges NodeInfo 1.0 inbound/outbound protocols", () => {
    expect(parse("diaspora-0.7.4.0-nodeinfo-1.0.json").value.protocols).toEqual(["diaspora"]);
    expect(parse("friendica-2024.03-1557-tootsdk-nodeinfo_friendica.json").value.protocols).toEqual([
      "dfrn",
      "activitypub",
      "diaspora",
      "ostatus",
    ]);
  });

  it("accepts Pixelfed's numbers-as-strings with a warning", () => {
    const r = parse("pixelfed-fediversespace-test-nodeinfo-2.0.json");
    expect(r.value.usersTotal).toBe(16);
    expect(r.value.localPosts).toBe(60);
    expect(r.warnings).toContain("usersTotal: number sent as a string");
  });

  it("keeps Sharkey's null actives as unknown, not rejected", () => {
    const { value } = parse("sharkey-2024.2.0-beta.12-tootsdk-nodeinfo_sharkey.json");
    expect(value).toMatchObject({
      usersTotal: 1912,
      usersActiveMonth: null,
      usersActiveHalfyear: null,
      rejectedFields: [],
    });
    expect(value.software.family).toBe("misskey");
  });

  it("reads Misskey-family langs and Akkoma's node name", () => {
    expect(parse("meisskey-10.102.699-m544-firefish-test-nodeinfo-2.1.json").value.languages).toEqual([]);
    expect(parse("akkoma-3.12.2-0-g26a91d5-tootsdk-nodeinfo_akkoma.json").value).toMatchObject({
      nodeName: "Coral Castle",
      software: { family: "pleroma", parsedVersion: { build: "0-g26a91d5" } },
    });
  });
});

describe("parseNodeInfo: misreport rules", () => {
  const base = (usage: unknown, extra: Record<string, unknown> = {}) => ({
    version: "2.0",
    software: { name: "mastodon", version: "4.3.0" },
    protocols: ["activitypub"],
    usage,
    openRegistrations: false,
    metadata: {},
    ...extra,
  });
  it.each([
    [{ users: { total: -1 } }, "usersTotal: negative"],
    [{ users: { total: 1.5 } }, "usersTotal: not an integer"],
    [{ users: { total: 2e9 } }, "usersTotal: absurd (over 1e+9)"],
    [{ users: { total: "many" } }, "usersTotal: not a number (string)"],
    [{ users: { total: true } }, "usersTotal: not a number (boolean)"],
    [{ users: { total: 10, activeMonth: 11 } }, "usersActiveMonth: exceeds usersTotal"],
    [{ users: { total: 10, activeHalfyear: 11 } }, "usersActiveHalfyear: exceeds usersTotal"],
    [{ localPosts: 1e12 }, "localPosts: absurd (over 1e+11)"],
    [{ localPosts: { all: 3 } }, "localPosts: not a number (object)"],
  ])("%j → %s", (usage, reason) => {
    const r = parseNodeInfo(base(usage));
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.rejectedFields).toContain(reason);
  });

  it("keeps what the server reported beside the sanitized value when a figure is dropped", () => {
    const r = parseNodeInfo(
      base({ users: { total: 10_000_000, activeMonth: 50_000_000 }, localPosts: 1e12 }),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toMatchObject({
      usersTotal: 10_000_000,
      usersActiveMonth: null,
      localPosts: null,
      reported: {
        usersTotal: null,
        usersActiveMonth: 50_000_000,
        usersActiveHalfyear: null,
        localPosts: 1e12,
      },
    });
    const strings = parseNodeInfo(base({ users: { total: "5", activeHalfyear: "9" } }));
    if (!strings.ok) throw new Error(strings.reason);
    expect(strings.value.reported).toEqual({
      usersTotal: null,
      usersActiveMonth: null,
      usersActiveHalfyear: 9,
      localPosts: null,
    });
    const honest = parseNodeInfo(base({ users: { total: 10, activeMonth: 5 }, localPosts: "lots" }));
    if (!honest.ok) throw new Error(honest.reason);
    // A figure that is not a number at all has nothing to keep.
    expect(honest.value.reported).toBe(null);
  });

  it("rejects a wrongly typed openRegistrations and reads Pleroma's approval flag", () => {
    const r = parseNodeInfo(
      base({}, { openRegistrations: "yes", metadata: { accountApprovalRequired: true } }),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.openRegistrations).toBeNull();
    expect(r.value.rejectedFields).toContain("openRegistrations: not a boolean (string)");
    expect(r.value.approvalRequired).toBe(true);
  });

  it.each([
    [null, "not a JSON object"],
    [[], "not a JSON object"],
    [{ software: {} }, "software.name"],
    [{ software: { name: "" } }, "software.name"],
    [{ software: { name: 42 } }, "software.name"],
  ])("fails on %j", (json, reason) => {
    const r = parseNodeInfo(json);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe("parseNodeInfoDiscovery", () => {
  it("accepts the https rel variant, resolves relative hrefs against the base, drops unusable links", () => {
    const r = parseNodeInfoDiscovery(
      {
        links: [
          { rel: "https://nodeinfo.diaspora.software/ns/schema/2.1", href: "/nodeinfo/2.1" },
          { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: "https://x.example/nodeinfo/2.0" },
          { rel: "http://nodeinfo.diaspora.software/ns/schema/1.0", href: "ftp://x.example/1.0" },
          { rel: "http://nodeinfo.diaspora.software/ns/schema/1.1", href: "https://u:p@x.example/1.1" },
          { rel: "https://www.w3.org/ns/activitystreams#Application", href: "https://x.example/actor" },
          { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: "https://x.example/nodeinfo/2.0" },
        ],
      },
      "https://x.example/.well-known/nodeinfo",
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual([
      { href: "https://x.example/nodeinfo/2.1", schemaVersion: "2.1" },
      { href: "https://x.example/nodeinfo/2.0", schemaVersion: "2.0" },
    ]);
    expect(r.warnings).toHaveLength(2);
  });

  it("drops relative hrefs without a base and sorts 2.10 above 2.2", () => {
    const r = parseNodeInfoDiscovery({
      links: [
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.2", href: "https://a.example/2.2" },
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.10", href: "https://a.example/2.10" },
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: "/2.1" },
      ],
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.map((l) => l.schemaVersion)).toEqual(["2.10", "2.2"]);
  });

  it.each([
    [null],
    [{}],
    [{ links: [] }],
    [{ links: "x" }],
    [{ links: [{ rel: "other", href: "https://a.example" }] }],
  ])("fails on %j", (json) => {
    expect(parseNodeInfoDiscovery(json).ok).toBe(false);
  });
});

describe("parseNodeInfo / parseNodeInfoDiscovery properties", () => {
  it("never throw on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.webUrl(), { nil: undefined }), (json, base) => {
        const a = parseNodeInfo(json);
        const b = parseNodeInfoDiscovery(json, base);
        expect(typeof a.ok).toBe("boolean");
        expect(typeof b.ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("never throw on NodeInfo-shaped documents with arbitrary field values", () => {
    const any = fc.jsonValue();
    fc.assert(
      fc.property(any, any, any, any, any, any, (name, version, users, posts, open, metadata) => {
        const doc = {
          version: "2.0",
          software: { name, version },
          usage: { users, localPosts: posts },
          openRegistrations: open,
          metadata,
        };
        expect(typeof parseNodeInfo(doc).ok).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips: a valid document's fields come back equal", () => {
    const users = fc.integer({ min: 0, max: 1e9 }).chain((total) =>
      fc.record({
        total: fc.constant(total),
        activeHalfyear: fc.integer({ min: 0, max: total }),
        activeMonth: fc.integer({ min: 0, max: total }),
      }),
    );
    const doc = fc.record({
      version: fc.constantFrom("1.0", "1.1", "2.0", "2.1", "2.2"),
      name: fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/),
      softwareVersion: fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map((t) => t.join(".")),
      protocols: fc.uniqueArray(fc.constantFrom("activitypub", "diaspora", "ostatus", "zot", "dfrn"), {
        minLength: 1,
      }),
      users,
      localPosts: fc.integer({ min: 0, max: 1e11 }),
      openRegistrations: fc.boolean(),
      nodeName: fc.option(
        fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s.trim() === s && s !== ""),
      ),
      langs: fc.option(fc.uniqueArray(fc.stringMatching(/^[a-z]{2}(-[A-Z]{2})?$/), { maxLength: 5 })),
    });
    fc.assert(
      fc.property(doc, (d) => {
        const json = {
          version: d.version,
          software: { name: d.name, version: d.softwareVersion },
          protocols: d.protocols,
          services: { inbound: [], outbound: [] },
          usage: { users: d.users, localPosts: d.localPosts },
          openRegistrations: d.openRegistrations,
          metadata: {
            ...(d.nodeName === null ? {} : { nodeName: d.nodeName }),
            ...(d.langs === null ? {} : { langs: d.langs }),
          },
        };
        const r = parseNodeInfo(JSON.parse(JSON.stringify(json)));
        if (!r.ok) throw new Error(r.reason);
        expect(r.value).toMatchObject({
          schemaVersion: d.version,
          protocols: d.protocols,
          usersTotal: d.users.total,
          usersActiveMonth: d.users.activeMonth,
          usersActiveHalfyear: d.users.activeHalfyear,
          localPosts: d.localPosts,
          openRegistrations: d.openRegistrations,
          nodeName: d.nodeName,
          languages: d.langs,
          rejectedFields: [],
        });
        expect(r.value.software).toMatchObject({ name: d.name, version: d.softwareVersion });
      }),
    );
  });
});
