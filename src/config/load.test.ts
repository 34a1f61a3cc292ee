import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.js";

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

  it("splits comma-separated lists", () => {
    const c = loadConfig({ onlyNetworks: "127.0.0.0/8, ::1/128", seeds: "a.social,b.social" }, {});
    expect(c.onlyNetworks).toEqual(["127.0.0.0/8", "::1/128"]);
    expect(c.seeds).toEqual(["a.social", "b.social"]);
  });

  it("rejects nonsense with a readable message", () => {
    expect(() => loadConfig({ concurrency: "lots" }, {})).toThrow(ConfigError);
    expect(() => loadConfig({ concurrency: "0" }, {})).toThrow(/concurrency/);
  });
});
