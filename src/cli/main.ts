#!/usr/bin/env node
import { Command } from "commander";
import { FEDIMON_VERSION } from "../core/version.js";
import { registerCommands } from "./commands/index.js";
import { reportFatal } from "./common.js";

/** `fedimon`: the one program. Each subcommand has `--help`. */
export function buildProgram(): Command {
  const program = new Command()
    .name("fedimon")
    .description(
      "A monitor of the fediverse: crawl, locate, releases, stream, stats and serve, in one program.",
    )
    .version(FEDIMON_VERSION)
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerCommands(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => reportFatal(err));
