#!/usr/bin/env node
import { Command } from "commander";
import { FEDIMON_VERSION } from "../core/version.js";
import { registerCommands } from "./commands/index.js";
import { reportFatal } from "./common.js";
import { stopWasAsked } from "./compose.js";

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
  .then(() => {
    // After a stop (SIGTERM), everything is written and closed: do not wait for the sockets of
    // aborted requests to finish closing.
    if (stopWasAsked()) process.exit();
  })
  .catch((err: unknown) => reportFatal(err));
