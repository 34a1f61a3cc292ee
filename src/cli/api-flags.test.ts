import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addApiOptions, apiOptionsFromFlags, type ApiFlags } from "./api-flags.js";

function parse(argv: string[]): ApiFlags {
  const cmd = addApiOptions(new Command("serve").exitOverride());
  cmd.parse(argv, { from: "user" });
  return cmd.opts<ApiFlags>();
}

describe("API flags", () => {
  it("--simulated labels the data as simulated (the demo passes it); without it the data is real", () => {
    expect(apiOptionsFromFlags(parse(["--simulated"])).simulated).toBe(true);
    expect(apiOptionsFromFlags(parse([])).simulated).toBeUndefined();
  });
});
