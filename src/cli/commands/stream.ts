import { Command } from "commander";
import { cliLogger } from "../terminal.js";
import { type CommonFlags, configFromFlags } from "../common.js";
import { addCommandOptions } from "../options.js";
import { shutdownSignal } from "../compose.js";
import { runStreamCommand } from "../compose/stream.js";

interface StreamFlags extends CommonFlags {
  streamServers?: string;
  streamTop?: string;
  streamLocal?: boolean;
  duration?: string;
  workerId?: string;
}

/** The stream options the flags set (shared with `fedimon run`). */
export function streamOptionsFromFlags(flags: StreamFlags): {
  servers?: string[];
  topServers?: number;
  local?: boolean;
} {
  return {
    ...(flags.streamServers
      ? {
          servers: flags.streamServers
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(flags.streamTop !== undefined ? { topServers: Number(flags.streamTop) } : {}),
    ...(flags.streamLocal ? { local: true } : {}),
  };
}

/** `fedimon stream`: listen to public timelines and keep only aggregate statistics. */
export function streamCommand(): Command {
  const cmd = new Command("stream").description(
    "Listen to public timelines and keep only aggregate statistics (never a post's content)",
  );
  addCommandOptions(cmd, "stream").action(async (flags: StreamFlags) => {
    const config = configFromFlags(flags);
    const logger = cliLogger(config);
    const summary = await runStreamCommand({
      config,
      logger,
      stream: streamOptionsFromFlags(flags),
      signal: shutdownSignal(logger),
      ...(flags.workerId !== undefined ? { workerId: flags.workerId } : {}),
      ...(flags.duration !== undefined ? { durationMillis: Number(flags.duration) * 1000 } : {}),
    });
    console.log(JSON.stringify(summary));
  });
  return cmd;
}
