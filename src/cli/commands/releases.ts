import { Command } from "commander";
import { type CommonFlags, configFromFlags } from "../common.js";
import { addCommandOptions } from "../options.js";
import { shutdownSignal } from "../compose.js";
import { runReleasesCommand } from "../compose/releases.js";
import { cliLogger } from "../terminal.js";

interface ReleasesFlags extends CommonFlags {
  once?: boolean;
  githubApi?: string;
  repos?: string;
  interval?: string;
  eolTable?: string;
  workerId?: string;
}

/** `fedimon releases [--once]`: follow upstream releases and advisories; recompute patch adoption. */
export function releasesCommand(): Command {
  const cmd = new Command("releases").description(
    "Poll upstream releases and security advisories (every 5 minutes, or once) and recompute patch adoption",
  );
  addCommandOptions(cmd, "releases").action(async (flags: ReleasesFlags) => {
    const config = configFromFlags(flags);
    const logger = cliLogger(config);
    const summary = await runReleasesCommand({
      config,
      logger,
      once: flags.once === true,
      ...(flags.workerId !== undefined ? { workerId: flags.workerId } : {}),
      githubApi: flags.githubApi ?? null,
      repos: flags.repos ?? null,
      intervalSecs: flags.interval === undefined ? null : Number(flags.interval),
      eolTable: flags.eolTable ?? null,
      signal: flags.once ? undefined : shutdownSignal(logger),
    });
    if (summary) console.log(JSON.stringify(summary));
  });
  return cmd;
}
