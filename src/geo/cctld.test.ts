import { describe, expect, it } from "vitest";
import { BRAND_CCTLDS, countryFromTld, IDN_CCTLDS, NO_COUNTRY_TLDS } from "./cctld.js";

const country = (d: string) => {
  const v = countryFromTld(d);
  return v.kind === "country" ? v.country : v.kind;
};

describe("countryFromTld", () => {
  it("gives a ccTLD's country", () => {
    expect(country("pawoo.jp")).toBe("JP");
    expect(country("mstdn.fr")).toBe("FR");
    expect(country("social.example.de")).toBe("DE");
    expect(country("chaos.social.at")).toBe("AT");
    expect(country("mastodon.com.br")).toBe("BR");
    expect(country("x.co.jp")).toBe("JP");
  });

  it("maps the ccTLDs whose ISO code differs", () => {
    expect(country("mastodon.org.uk")).toBe("GB");
    expect(country("x.uk")).toBe("GB");
    expect(country("x.gb")).toBe("GB");
    expect(country("x.ac.uk")).toBe("GB");
  });

  it("lets brand ccTLDs fall through to the address", () => {
    for (const d of [
      "hachyderm.io",
      "x.co",
      "me.me",
      "x.tv",
      "x.ai",
      "x.fm",
      "x.gg",
      "x.ly",
      "x.to",
      "x.cc",
      "x.ws",
      "x.nu",
      "x.sh",
      "x.im",
      "x.am",
      "x.is",
    ]) {
      expect(countryFromTld(d), d).toMatchObject({ kind: "brand" });
    }
    expect(countryFromTld("x.io")).toEqual({ kind: "brand", tld: "io", reason: BRAND_CCTLDS.get("io") });
    // Private public-suffix entries (github.io) do not make a .io name local.
    expect(country("someone.github.io")).toBe("brand");
    // Commercial second levels under a brand ccTLD are sold worldwide too.
    expect(country("x.com.co")).toBe("brand");
  });

  it("keeps public bodies under a brand ccTLD local", () => {
    expect(country("mastodon.gov.co")).toBe("CO");
    expect(country("x.edu.co")).toBe("CO");
    expect(country("x.ac.im")).toBe("IM");
  });

  it("treats .eu and .su as naming no single country", () => {
    expect(countryFromTld("x.eu")).toMatchObject({ kind: "brand", tld: "eu" });
    expect(countryFromTld("x.su")).toMatchObject({ kind: "brand", tld: "su" });
    expect(countryFromTld("x.xn--e1a4c")).toMatchObject({ kind: "brand" });
    expect([...NO_COUNTRY_TLDS.keys()]).toEqual(["eu", "xn--e1a4c", "su"]);
  });

  it("reads internationalised ccTLDs in their stored (punycode) form", () => {
    expect(country("xn--80aaf2aetf.xn--p1ai")).toBe("RU");
    expect(country("x.xn--fiqs8s")).toBe("CN");
    expect(country("x.xn--3e0b707e")).toBe("KR");
    expect(Object.values(IDN_CCTLDS).every((c) => /^[A-Z]{2}$/.test(c))).toBe(true);
  });

  it("says generic for gTLDs and bare names, and normalises case and trailing dots", () => {
    expect(countryFromTld("mastodon.social")).toEqual({ kind: "generic", tld: "social" });
    expect(country("x.online")).toBe("generic");
    expect(country("x.com")).toBe("generic");
    expect(country("localhost")).toBe("generic");
    expect(country("")).toBe("generic");
    expect(country("PAWOO.JP.")).toBe("JP");
  });
});
