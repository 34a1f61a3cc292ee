import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { defaultConfig, loadConfig } from "../config/index.js";
import { apiOptionsFromFlags, type ApiFlags, botFromFlags } from "./api-flags.js";
import { addCommandOptions } from "./options.js";

function parse(argv: string[]): ApiFlags {
  const cmd = addCommandOptions(new Command("serve").exitOverride(), "serve");
  cmd.parse(argv, { from: "user" });
  return cmd.opts<ApiFlags>();
}

describe("API flags", () => {
  it("--simulated labels the data as simulated (the demo passes it); without it the data is real", () => {
    expect(apiOptionsFromFlags(parse(["--simulated"])).simulated).toBe(true);
    expect(apiOptionsFromFlags(parse([])).simulated).toBeUndefined();
  });

  it("the weekly bot's token is the FEDIMON_MASTODON_TOKEN setting, never a flag", () => {
    const flags = parse(["--mastodon-url", "https://bot.example/"]);
    expect(() => botFromFlags(flags, defaultConfig())).toThrow(/FEDIMON_MASTODON_TOKEN/);
    expect(botFromFlags(flags, loadConfig({}, { FEDIMON_MASTODON_TOKEN: " tok\n" }))).toMatchObject({
      serverUrl: "https://bot.example",
      accessToken: "tok",
    });
    expect(botFromFlags(parse([]), defaultConfig({ mastodonToken: "tok" }))).toBeNull();
    expect(() => parse(["--mastodon-token", "tok"])).toThrow(/unknown option/);
  });
});
