import { Command } from "commander";
import { cliLogger } from "../terminal.js";
import { runStreamCommand } from "../../stream/index.js";
import { addCommonOptions, type CommonFlags, configFromFlags } from "../common.js";
import { shutdownSignal } from "../compose.js";

interface StreamFlags extends CommonFlags {
  streamServers?: string;
  streamTop?: string;
  streamLocal?: boolean;
  duration?: string;
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

/** Adds the stream flags to a command (`stream` and `run`). */
export function addStreamOptions(cmd: Command): Command {
  return cmd
    .option(
      "--stream-servers <domains>",
      "listen to exactly these servers (default: the largest that allow it)",
    )
    .option("--stream-top <n>", "how many of the largest servers to listen to (default 20)")
    .option("--stream-local", "listen to local timelines instead of federated ones");
}

/** `fedimon stream`: listen to public timelines and keep only aggregate statistics. */
export function streamCommand(): Command {
  const cmd = new Command("stream").description(
    "Listen to public timelines and keep only aggregate statistics (never a post's content)",
  );
  addStreamOptions(cmd).option(
    "--duration <secs>",
    "stop after this many seconds (default: run until stopped)",
  );
  addCommonOptions(cmd).action(async (flags: StreamFlags) => {
    const config = configFromFlags(flags);
    const logger = cliLogger(config);
    const summary = await runStreamCommand({
      config,
      logger,
      stream: streamOptionsFromFlags(flags),
      signal: shutdownSignal(logger),
      ...(flags.duration !== undefined ? { durationMillis: Number(flags.duration) * 1000 } : {}),
    });
    console.log(JSON.stringify(summary));
  });
  return cmd;
}
