import type { Config } from "../../config/index.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";
import { createResolver } from "../../net/index.js";
import { runListeners, streamOptions, type StreamOptions, type StreamSummary } from "../../stream/index.js";
import { buildStreamListeners, composeApp } from "../compose.js";

/** Input of {@link runStreamCommand}. */
export interface RunStreamInput {
  config: Config;
  /** Stream settings (`--stream-servers`, `--stream-top`, `--stream-local`, ...); defaults otherwise. */
  stream?: Partial<StreamOptions>;
  /** Stops the listeners (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal;
  /** Run this long, then stop (tests, demos). Default: until `signal`. */
  durationMillis?: number;
  logger?: Logger;
  clock?: Clock;
  /** Suffixes accepted in `--stream-servers` besides the public-suffix list (`["test"]` in simulations). */
  extraSuffixes?: readonly string[];
}

/**
 * `fedimon stream`: opens the store and the network layer (one resolver shared by the fetcher and
 * the guarded lookup of the listeners' own sockets), runs the stream listeners until `signal`
 * aborts (or `durationMillis` passes), writes what is left and returns a summary of numbers.
 */
export async function runStreamCommand(input: RunStreamInput): Promise<StreamSummary> {
  const { config } = input;
  const clock = input.clock ?? systemClock;
  // Checked before anything is opened.
  const options = streamOptions(input.stream ?? {});
  const resolver = createResolver({ dnsServer: config.dnsServer, clock });
  const app = await composeApp(config, { logger: input.logger, clock, resolver, lists: false });
  try {
    const listeners = buildStreamListeners(app, options, {
      resolver,
      ...(input.extraSuffixes ? { extraSuffixes: input.extraSuffixes } : {}),
    });
    return await runListeners(listeners, input);
  } finally {
    await app.close();
  }
}
