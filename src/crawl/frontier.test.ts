import { describe, expect, it } from "vitest";
import { parseDenyList, SPAM_CAP_PER_REGISTRABLE } from "../domains/index.js";
import { admitNames, normaliseNames } from "./frontier.js";

const deny = parseDenyList("#domain,#severity\nevil.example.com,suspend\nmeh.example.org,silence\n").list;

describe("normaliseNames", () => {
  it("normalises, drops duplicates and counts what is invalid", () => {
    const { names, invalid } = normaliseNames(
      [
        { name: "Mastodon.Social.", via: "a" },
        { name: "mastodon.social", via: "b" },
        { name: "127.0.0.1", via: "a" },
        { name: "host:8080", via: "a" },
        { name: "bad_label.example.com", via: "a" },
        { name: "x.notarealtld", via: "a" },
        { name: "münchen.de", via: "c" },
        { name: "abcdefghijklmnop.onion", via: "a" },
        { name: "node.sim.test", via: "a" },
      ],
      ["test"],
    );
    expect(invalid).toBe(4);
    expect(names).toEqual([
      { domain: "mastodon.social", registrable: "mastodon.social", network: "clearnet", via: "a" },
      { domain: "xn--mnchen-3ya.de", registrable: "xn--mnchen-3ya.de", network: "clearnet", via: "c" },
      { domain: "abcdefghijklmnop.onion", registrable: "abcdefghijklmnop.onion", network: "onion", via: "a" },
      { domain: "node.sim.test", registrable: "sim.test", network: "clearnet", via: "a" },
    ]);
  });

  it("refuses .test names unless told otherwise", () => {
    expect(normaliseNames([{ name: "node.sim.test", via: "a" }]).invalid).toBe(1);
  });
});

describe("admitNames", () => {
  it("skips known names, records onion and hard-denied names unscheduled, marks soft ones", () => {
    const { names } = normaliseNames(
      [
        "known.example.com",
        "new.example.com",
        "x.evil.example.com",
        "meh.example.org",
        "abc.onion",
        "b.i2p",
      ].map((name) => ({ name, via: "src.example.com" })),
    );
    const { candidates, stats } = admitNames(names, {
      known: new Set(["known.example.com"]),
      counts: new Map(),
      denyList: deny,
    });
    expect(candidates).toEqual([
      {
        domain: "new.example.com",
        registrableDomain: "example.com",
        network: "clearnet",
        discoveredVia: "src.example.com",
        denyLevel: null,
        due: true,
      },
      {
        domain: "x.evil.example.com",
        registrableDomain: "example.com",
        network: "clearnet",
        discoveredVia: "src.example.com",
        denyLevel: "hard",
        due: false,
        outcome: "denylisted",
      },
      {
        domain: "meh.example.org",
        registrableDomain: "example.org",
        network: "clearnet",
        discoveredVia: "src.example.com",
        denyLevel: "soft",
        due: true,
      },
      {
        domain: "abc.onion",
        registrableDomain: "abc.onion",
        network: "onion",
        discoveredVia: "src.example.com",
        denyLevel: null,
        due: false,
      },
      {
        domain: "b.i2p",
        registrableDomain: "b.i2p",
        network: "i2p",
        discoveredVia: "src.example.com",
        denyLevel: null,
        due: false,
      },
    ]);
    expect(stats).toEqual({
      invalid: 0,
      spamCapped: 0,
      denylistedHard: 1,
      denylistedSoft: 1,
      unreachableNetwork: 2,
      admitted: 2,
    });
  });

  it("caps new unproven names per registrable domain, counting this batch and the store", () => {
    const farm = Array.from({ length: 100 }, (_, i) => ({ name: `n${i}.farm.example.net`, via: "a" }));
    const { names } = normaliseNames(farm);
    const counts = new Map([["example.net", { known: 5, provenReal: 0 }]]);
    const first = admitNames(names, { known: new Set(), counts, denyList: null });
    expect(first.candidates.length).toBe(SPAM_CAP_PER_REGISTRABLE - 5);
    expect(first.stats.spamCapped).toBe(100 - (SPAM_CAP_PER_REGISTRABLE - 5));
    expect(counts.get("example.net")).toEqual({ known: SPAM_CAP_PER_REGISTRABLE, provenReal: 0 });
    // Once some prove real, room opens up again.
    counts.set("example.net", { known: 20, provenReal: 20 });
    const second = admitNames(names.slice(50), { known: new Set(), counts, denyList: null });
    expect(second.candidates.length).toBe(SPAM_CAP_PER_REGISTRABLE + 4);
    // Seeds bypass the cap.
    const seeds = admitNames(names, {
      known: new Set(),
      counts: new Map([["example.net", { known: 1000, provenReal: 0 }]]),
      denyList: null,
      bypassCap: true,
    });
    expect(seeds.candidates.length).toBe(100);
  });

  it("applies the cap before the deny list, so a denied farm cannot grow the table either", () => {
    const list = parseDenyList("#domain\nfarm.example.net\n").list;
    const { names } = normaliseNames(
      Array.from({ length: 50 }, (_, i) => ({ name: `n${i}.farm.example.net`, via: "a" })),
    );
    const { candidates, stats } = admitNames(names, { known: new Set(), counts: new Map(), denyList: list });
    expect(candidates.length).toBe(SPAM_CAP_PER_REGISTRABLE);
    expect(candidates.every((c) => c.outcome === "denylisted" && !c.due)).toBe(true);
    expect(stats.spamCapped).toBe(50 - SPAM_CAP_PER_REGISTRABLE);
  });
});
