import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { identifySoftware } from "./families.js";
import { parseInstanceV1, parseInstanceV2 } from "./instance.js";
import { listFixtures, readJsonFixture } from "./testing.js";
import { parseCompatibleVersion } from "./version.js";

function mustParse<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** The software a file name starts with, as identified from the served version string. */
function softwareOf(version: string | null) {
  const compat = version === null ? null : parseCompatibleVersion(version);
  return identifySoftware({ name: compat?.name ?? "mastodon", version: null, instanceVersion: version });
}

describe("fixtures/instance_v1: every file", () => {
  const files = listFixtures("instance_v1");
  it("is a real set", () => expect(files.length).toBeGreaterThanOrEqual(40));

  it.each(files)("%s", (file) => {
    const v = mustParse(parseInstanceV1(readJsonFixture("instance_v1", file)));
    expect(v.rejectedFields).toEqual([]);
    expect(v.version).not.toBeNull();
    expect(v.usersActiveMonth).toBeNull(); // v1 has no monthly actives
    if (file !== "friendica-kaiteki-test.json") {
      expect(v.usersTotal).not.toBeNull();
      expect(v.localPosts).not.toBeNull();
      expect(v.domainCount).not.toBeNull();
    }
    const sw = softwareOf(v.version);
    // The file name starts with the software (or fork) the version string names.
    const prefix = file.split("-")[0] as string;
    if (prefix === "fedibird" || prefix === "gotosocial") expect(sw.family).toBe("mastodon");
    else expect(sw.name).toBe(prefix);
  });

  it("reads the values of real servers", () => {
    expect(
      mustParse(
        parseInstanceV1(
          readJsonFixture(
            "instance_v1",
            "mastodon-4.6.0-nightly.2026-04-09-mastodon.social-instance-v1.json",
          ),
        ),
      ),
    ).toEqual({
      domain: "mastodon.social",
      title: "Mastodon",
      version: "4.6.0-nightly.2026-04-09",
      usersTotal: 3226718,
      usersActiveMonth: null,
      localPosts: 170371307,
      domainCount: 114339,
      registrationsOpen: true,
      approvalRequired: false,
      languages: ["en"],
      rejectedFields: [],
    });
    // Pleroma's uri is a URL; Akkoma requires approval.
    expect(
      mustParse(
        parseInstanceV1(
          readJsonFixture("instance_v1", "akkoma-3.10.4-0-gebfb617-tootsdk-instance_akkoma.json"),
        ),
      ),
    ).toMatchObject({
      domain: "social.thisworksonmycomputer.local",
      approvalRequired: true,
    });
    // Friendica sends v2-style registrations in v1.
    expect(
      mustParse(parseInstanceV1(readJsonFixture("instance_v1", "friendica-kaiteki-test.json"))),
    ).toMatchObject({
      registrationsOpen: true,
      approvalRequired: false,
      languages: ["de"],
    });
    // Mastodon's `localhost:3000` keeps only the host.
    expect(
      mustParse(parseInstanceV1(readJsonFixture("instance_v1", "mastodon-4.3.0-localhost-instance-v1.json")))
        .domain,
    ).toBe("localhost");
  });

  it("accepts Pixelfed's status_count string with a warning", () => {
    const r = parseInstanceV1(
      readJsonFixture("instance_v1", "pixelfed-0.12.3-tootsdk-instance_pixelfed.json"),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.localPosts).toBe(29662653);
    expect(r.warnings).toEqual(["localPosts: number sent as a string"]);
  });
});

describe("fixtures/instance_v2: every file", () => {
  const files = listFixtures("instance_v2");
  it("is a real set", () => expect(files.length).toBeGreaterThanOrEqual(15));

  it.each(files)("%s", (file) => {
    const v = mustParse(parseInstanceV2(readJsonFixture("instance_v2", file)));
    expect(v.rejectedFields).toEqual([]);
    expect(v.domain).not.toBeNull();
    expect(v.usersActiveMonth).not.toBeNull();
    expect(v.registrationsOpen).not.toBeNull();
    expect(v.approvalRequired).not.toBeNull();
    expect([v.usersTotal, v.localPosts, v.domainCount]).toEqual([null, null, null]);
    if (file.startsWith("mastodon-")) expect(file.startsWith(`mastodon-${v.version}-`)).toBe(true);
    // GoToSocial serves a bare version with no compatible comment.
    else if (!file.startsWith("gotosocial-")) expect(softwareOf(v.version).name).toBe(file.split("-")[0]);
  });

  it("reads mastodon.social 4.7.0-alpha.2+pr", () => {
    expect(
      mustParse(
        parseInstanceV2(
          readJsonFixture(
            "instance_v2",
            "mastodon-4.7.0-alpha.2+pr-39999-68e5caf-mastodon.social-instance-v2.json",
          ),
        ),
      ),
    ).toEqual({
      domain: "mastodon.social",
      title: "Mastodon",
      version: "4.7.0-alpha.2+pr-39999-68e5caf",
      usersTotal: null,
      usersActiveMonth: 269307,
      localPosts: null,
      domainCount: null,
      registrationsOpen: true,
      approvalRequired: false,
      languages: ["en"],
      rejectedFields: [],
    });
  });
});

describe("misreport rules", () => {
  it.each([
    [{ user_count: -5 }, "usersTotal: negative"],
    [{ user_count: 1e10 }, "usersTotal: absurd (over 1e+9)"],
    [{ status_count: 0.5 }, "localPosts: not an integer"],
    [{ domain_count: 1e9 }, "domainCount: absurd (over 1e+8)"],
    [{ domain_count: [1] }, "domainCount: not a number (array)"],
  ])("v1 stats %j → %s", (stats, reason) => {
    const v = mustParse(parseInstanceV1({ uri: "a.example", version: "4.3.0", stats }));
    expect(v.rejectedFields).toEqual([reason]);
  });

  it("v2 rejects a nonsense monthly active count and a bad registrations flag", () => {
    const v = mustParse(
      parseInstanceV2({
        domain: "a.example",
        version: "4.3.0",
        usage: { users: { active_month: -1 } },
        registrations: { enabled: "maybe" },
      }),
    );
    expect(v.rejectedFields.sort()).toEqual([
      "registrations.enabled: not a boolean (string)",
      "usersActiveMonth: negative",
    ]);
    expect(v.usersActiveMonth).toBeNull();
  });

  it.each([[null], ["x"], [[]], [{}], [{ version: 4 }], [{ error: "Not found" }]])("fails on %j", (json) => {
    expect(parseInstanceV1(json).ok).toBe(false);
    expect(parseInstanceV2(json).ok).toBe(false);
  });
});

describe("properties", () => {
  it("never throw on arbitrary JSON or instance-shaped junk", () => {
    const any = fc.jsonValue();
    fc.assert(
      fc.property(any, any, any, any, (a, uri, stats, reg) => {
        for (const json of [
          a,
          { version: "1.0", uri, domain: uri, stats, registrations: reg, usage: stats, languages: reg },
        ]) {
          expect(typeof parseInstanceV1(json).ok).toBe("boolean");
          expect(typeof parseInstanceV2(json).ok).toBe("boolean");
        }
      }),
      { numRuns: 400 },
    );
  });

  const host = fc.domain().map((d) => d.toLowerCase());
  const text = fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s.trim() === s && s !== "");
  const langs = fc.uniqueArray(fc.stringMatching(/^[a-z]{2}$/), { maxLength: 4 });

  it("round-trips v1", () => {
    fc.assert(
      fc.property(
        host,
        text,
        fc.nat(1e9),
        fc.nat(1e11),
        fc.nat(1e8),
        fc.boolean(),
        fc.boolean(),
        langs,
        (uri, title, users, posts, domains, open, approval, languages) => {
          const json = {
            uri,
            title,
            version: "4.3.0",
            stats: { user_count: users, status_count: posts, domain_count: domains },
            registrations: open,
            approval_required: approval,
            languages,
          };
          expect(mustParse(parseInstanceV1(JSON.parse(JSON.stringify(json))))).toEqual({
            domain: uri,
            title,
            version: "4.3.0",
            usersTotal: users,
            usersActiveMonth: null,
            localPosts: posts,
            domainCount: domains,
            registrationsOpen: open,
            approvalRequired: approval,
            languages,
            rejectedFields: [],
          });
        },
      ),
    );
  });

  it("round-trips v2", () => {
    fc.assert(
      fc.property(
        host,
        text,
        fc.nat(1e9),
        fc.boolean(),
        fc.boolean(),
        langs,
        (domain, title, active, open, approval, languages) => {
          const json = {
            domain,
            title,
            version: "4.3.0",
            usage: { users: { active_month: active } },
            registrations: { enabled: open, approval_required: approval, message: null },
            languages,
          };
          expect(mustParse(parseInstanceV2(JSON.parse(JSON.stringify(json))))).toMatchObject({
            domain,
            title,
            usersActiveMonth: active,
            registrationsOpen: open,
            approvalRequired: approval,
            languages,
            rejectedFields: [],
          });
        },
      ),
    );
  });
});
