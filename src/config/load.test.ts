import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDnsServer } from "../net/dns-server.js";
import { quote } from "../core/quote.js";
import { ConfigError, ENV_VARS, loadConfig } from "./index.js";
import { sampleValue } from "./field-samples.js";
import { CONFIG_FIELD_LIST, valueKind } from "./fields.js";

describe("loadConfig", () => {
  it("uses the defaults with nothing given", () => {
    const c = loadConfig({}, {});
    expect(c.db).toBe("./fedimon-data");
    expect(c.concurrency).toBe(256);
    expect(c.probeConcurrency).toBeNull();
    expect(c.maxBodyBytes).toBe(16 * 1024 * 1024);
    expect(c.onlyNetworks).toEqual([]);
  });

  it("gives flags precedence over the environment", () => {
    const env = { DATABASE_URL: "postgres://env/db", FEDIMON_CONCURRENCY: "10" };
    expect(loadConfig({}, env).db).toBe("postgres://env/db");
    expect(loadConfig({ db: "./here" }, env).db).toBe("./here");
    expect(loadConfig({}, env).concurrency).toBe(10);
    expect(loadConfig({ concurrency: "3" }, env).concurrency).toBe(3);
  });

  it("reads the probe slot count from the environment, the config file's key or a flag value", () => {
    expect(loadConfig({}, { FEDIMON_PROBE_CONCURRENCY: "2000" }).probeConcurrency).toBe(2000);
    expect(loadConfig({ probeConcurrency: "300" }, {}).probeConcurrency).toBe(300);
    expect(() => loadConfig({ probeConcurrency: "0" }, {})).toThrow(/probeConcurrency/);
  });

  it("reads the worker's region label and the lease length", () => {
    expect(loadConfig({}, {})).toMatchObject({ region: null, leaseSeconds: 300 });
    expect(loadConfig({ region: "eu-west" }, {}).region).toBe("eu-west");
    expect(loadConfig({}, { FEDIMON_REGION: "ap-south" }).region).toBe("ap-south");
    expect(loadConfig({ leaseSeconds: "4" }, {}).leaseSeconds).toBe(4);
    expect(() => loadConfig({ leaseSeconds: "1" }, {})).toThrow(/leaseSeconds/);
    expect(() => loadConfig({ region: "" }, {})).toThrow(/region/);
  });

  it("splits comma-separated lists", () => {
    const c = loadConfig({ onlyNetworks: "127.0.0.0/8, ::1/128", seeds: "a.social,b.social" }, {});
    expect(c.onlyNetworks).toEqual(["127.0.0.0/8", "::1/128"]);
    expect(c.seeds).toEqual(["a.social", "b.social"]);
  });

  it("rejects nonsense with a readable message", () => {
    expect(() => loadConfig({ concurrency: "lots" }, {})).toThrow(ConfigError);
    expect(() => loadConfig({ concurrency: "0" }, {})).toThrow(/concurrency/);
  });

  it("refuses bad networks, DNS servers, database URLs and seeds before anything is opened", () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ onlyNetworks: "127.0.0.0/33" }, /--only-networks: "127.0.0.0\/33" is not a CIDR/],
      [{ allowNetworks: "nonsense" }, /--allow-networks: "nonsense" is not a CIDR/],
      [
        { dnsServer: "127.0.0.1:0" },
        /--dns-server: "127.0.0.1:0": the port must be a number from 1 to 65535/,
      ],
      [{ dnsServer: "127.0.0.1:99999" }, /the port must be/],
      [{ dnsServer: "ns.example:53" }, /the host must be an IP address/],
      [{ db: "mysql://root:secret@db/x" }, /--db: "mysql:\/\/" URLs are not supported/],
      [{ db: "sqlite:data" }, /--db: "sqlite:" URLs are not supported/],
      [{ seeds: "not a domain,,x\u0001y" }, /--seed: not a domain name: "not a domain", "x\\u0001y"/],
    ];
    for (const [flags, message] of bad) {
      expect(() => loadConfig(flags, {}), JSON.stringify(flags)).toThrow(message);
    }
    expect(() => loadConfig({ db: "mysql://root:secret@db/x" }, {})).not.toThrow(/secret/);
    expect(
      loadConfig({ dnsServer: "127.0.0.1:5353", db: "postgres://u@h/d", seeds: "a.social" }, {}).db,
    ).toBe("postgres://u@h/d");
  });

  it("parses DNS server addresses", () => {
    expect(parseDnsServer("127.0.0.1")).toEqual({ host: "127.0.0.1", port: 53 });
    expect(parseDnsServer("127.0.0.1:5353")).toEqual({ host: "127.0.0.1", port: 5353 });
    expect(parseDnsServer("[::1]:53")).toEqual({ host: "::1", port: 53 });
    expect(parseDnsServer("::1")).toEqual({ host: "::1", port: 53 });
    for (const s of ["127.0.0.1:", "127.0.0.1:65536", "[::1]:0", "127.0.0.1:5x", "[::1", "1.2.3:53", ""]) {
      expect(parseDnsServer(s), s).toHaveProperty("error");
    }
  });

  it("refuses a config file that is not one object of known settings, without echoing its bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedimon-config-"));
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(() => loadConfig({}, {}, file("a.json", "[1,2]"))).toThrow(/must be a JSON object/);
    expect(() => loadConfig({}, {}, file("b.json", '{"concurency": 3}'))).toThrow(
      /unknown setting "concurency" \(known: db, seeds,/,
    );
    expect(() => loadConfig({}, {}, file("c.json", "{\u0007\u001b[31m"))).toThrow(/: not valid JSON$/);
    expect(() => loadConfig({}, {}, join(dir, "missing.json"))).toThrow(/cannot read config file .*ENOENT/);
    expect(loadConfig({}, {}, file("d.json", '{"concurrency": 3}')).concurrency).toBe(3);
  });

  it("reads every environment variable of the field table into its field, typed", () => {
    const defaults = loadConfig({}, {});
    for (const f of CONFIG_FIELD_LIST) {
      for (const name of f.env) {
        expect(ENV_VARS[name], name).toBe(f.key);
        const got = loadConfig({}, { [name]: sampleValue(f) })[f.key];
        expect(got, name).not.toEqual(defaults[f.key]);
        const kind = valueKind(f);
        if (kind === "list") expect(got, name).toHaveLength(2);
        else expect(typeof got, name).toBe(kind === "enum" ? "string" : kind);
      }
    }
    expect(Object.keys(ENV_VARS)).toContain("GITHUB_TOKEN");
  });

  it("reads the release API and the tokens from the environment, the flag over the variable", () => {
    const env = { FEDIMON_GITHUB_API: "http://127.0.0.1:9/", GITHUB_TOKEN: " ghp_x \n" };
    expect(loadConfig({}, {}).githubApi).toBe("https://api.github.com");
    expect(loadConfig({}, env).githubApi).toBe("http://127.0.0.1:9/");
    expect(loadConfig({ githubApi: "http://127.0.0.2:9/" }, env).githubApi).toBe("http://127.0.0.2:9/");
    expect(loadConfig({}, env).githubToken).toBe("ghp_x");
    expect(loadConfig({}, { GITHUB_TOKEN: "  " }).githubToken).toBeNull();
    expect(loadConfig({}, {}).githubToken).toBeNull();
    expect(loadConfig({}, { FEDIMON_MASTODON_TOKEN: "tok" }).mastodonToken).toBe("tok");
    expect(loadConfig({}, { FEDIMON_MISREPORT_OVERRIDES: "o.csv" }).misreportOverrides).toBe("o.csv");
  });

  it("quotes operator values safely", () => {
    expect(quote('a"b\u0000\u202e')).toBe('"a\\"b\\u0000\\u202e"');
    expect(quote("x".repeat(100))).toBe(`"${"x".repeat(60)}"…`);
  });
});
