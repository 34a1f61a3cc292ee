import type { Command } from "commander";
import { crawlCommand } from "./crawl.js";
import { demoCommand } from "./demo.js";
import { releasesCommand } from "./releases.js";
import { runCommand } from "./run.js";
import { exportCommand, importCommand, serveCommand } from "./serve.js";
import { serverCommand } from "./server.js";
import { simCommand } from "./sim.js";
import { streamCommand } from "./stream.js";

/** Adds every subcommand to the program; each lives in its own file. */
export function registerCommands(program: Command): void {
  program.addCommand(runCommand());
  program.addCommand(crawlCommand());
  program.addCommand(serverCommand());
  program.addCommand(releasesCommand());
  program.addCommand(streamCommand());
  program.addCommand(serveCommand());
  program.addCommand(exportCommand());
  program.addCommand(importCommand());
  program.addCommand(simCommand());
  program.addCommand(demoCommand());
}
