import { Command } from "commander";
import { type ApiFlags, apiOptionsFromFlags, botFromFlags } from "../api-flags.js";
import { type CommonFlags, configFromFlags } from "../common.js";
import { runEverything } from "../compose/run.js";
import { addCommandOptions } from "../options.js";
import { streamOptionsFromFlags } from "./stream.js";

interface RunFlags extends CommonFlags, ApiFlags {
  workerId?: string;
  eolTable?: string;
  streamServers?: string;
  streamTop?: string;
  streamLocal?: boolean;
  /** false with `--no-stream`, `--no-releases`, `--no-api`, `--no-crawl`. */
  stream?: boolean;
  crawl?: boolean;
  releases?: boolean;
  api?: boolean;
}

/**
 * `fedimon run`: everything in one process on one store — the crawler, the release poller, the
 * stream listeners, the statistics jobs and the API — until SIGINT/SIGTERM, which stops each part
 * gracefully (in-flight work finishes, buffers are written, leases released).
 */
export function runCommand(): Command {
  const cmd = new Command("run").description(
    "Run everything: crawler, release poller, stream listeners, statistics and the API",
  );
  addCommandOptions(cmd, "run").action(async (flags: RunFlags) => {
    const config = configFromFlags(flags);
    await runEverything({
      config,
      ...(flags.workerId !== undefined ? { workerId: flags.workerId } : {}),
      crawl: flags.crawl !== false,
      api: flags.api === false ? null : { api: apiOptionsFromFlags(flags), bot: botFromFlags(flags, config) },
      // `--github-api` is in `config.githubApi`.
      releases: flags.releases === false ? null : { eolTable: flags.eolTable ?? null },
      stream: flags.stream === false ? null : streamOptionsFromFlags(flags),
    });
  });
  return cmd;
}
