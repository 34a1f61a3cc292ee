import type { Config } from "../../config/index.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";
import { createResolver } from "../../net/index.js";
import {
  runListeners,
  streamOptions,
  type StreamOptions,
  type StreamService,
  type StreamSummary,
} from "../../stream/index.js";
import { buildSingletons, buildStreamListeners, composeApp } from "../compose.js";

/** Input of {@link runStreamCommand}. */
export interface RunStreamInput {
  config: Config;
  /** Stream settings (`--stream-servers`, `--stream-top`, `--stream-local`, ...); defaults otherwise. */
  stream?: Partial<StreamOptions>;
  /** Stops the listeners (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal;
  /** This process's name on its singleton hold (`--worker-id`). */
  workerId?: string;
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
 * aborts (or `durationMillis` passes), writes what is left and returns a summary of numbers. The
 * listeners are a singleton job (db/singleton.ts): with several processes on one database, one
 * process listens (twice would count every post twice), and another takes over when it dies.
 */
export async function runStreamCommand(input: RunStreamInput): Promise<StreamSummary> {
  const { config } = input;
  const clock = input.clock ?? systemClock;
  // Checked before anything is opened.
  const options = streamOptions(input.stream ?? {});
  const resolver = createResolver({ dnsServer: config.dnsServer, clock });
  const app = await composeApp(config, { logger: input.logger, clock, resolver, lists: false });
  const singletons = buildSingletons(app.db, app.logger, input.workerId);
  try {
    const build = (): StreamService =>
      buildStreamListeners(app, options, {
        resolver,
        ...(input.extraSuffixes ? { extraSuffixes: input.extraSuffixes } : {}),
      });
    const until = [
      ...(input.signal ? [input.signal] : []),
      ...(input.durationMillis !== undefined ? [AbortSignal.timeout(input.durationMillis)] : []),
    ];
    const signal = until.length > 0 ? AbortSignal.any(until) : new AbortController().signal;
    let summary: StreamSummary | null = null;
    // New listeners on each takeover: they stop when the hold ends.
    await singletons.hold("stream", signal, async (held) => {
      summary = await runListeners(build(), { signal: held });
    });
    // Never held (another process listened throughout): nothing counted here.
    return summary ?? build().summary();
  } finally {
    await singletons.close();
    await app.close();
  }
}
