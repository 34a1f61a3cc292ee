import type { Config } from "../config/config.js";
import { systemClock, type Clock } from "../core/clock.js";
import { createLogger, type Logger } from "../core/log.js";
import { createFetcher, createGuardedLookup, createResolver, userAgent } from "../net/index.js";
import { openDb } from "../store/open.js";
import { streamOptions, type StreamOptions } from "./options.js";
import { StreamService, type StreamSummary } from "./service.js";

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
 * `fedimon stream`: opens the store, builds the network layer (one fetcher, the guarded lookup for
 * the listeners' own sockets), runs the stream listeners until `signal` aborts (or `durationMillis`
 * passes), writes what is left and returns a summary of numbers. The CLI engineer wires flags to
 * `stream` and SIGINT/SIGTERM to `signal`.
 */
export async function runStreamCommand(input: RunStreamInput): Promise<StreamSummary> {
  const { config } = input;
  const logger = input.logger ?? createLogger(config.logLevel);
  const clock = input.clock ?? systemClock;
  const options = streamOptions(input.stream ?? {});
  const db = await openDb(config.db);
  const resolver = createResolver({ dnsServer: config.dnsServer, clock });
  const fetcher = createFetcher({ config, logger: logger.child("net"), clock, resolver });
  const service = new StreamService({
    db,
    fetcher,
    lookup: createGuardedLookup(config, resolver),
    userAgent: userAgent(config),
    logger,
    clock,
    options,
    extraSuffixes: input.extraSuffixes,
  });
  try {
    await service.start();
    await waitFor(input.signal, input.durationMillis);
    return await service.stop();
  } finally {
    await fetcher.close();
    await db.close();
  }
}

function waitFor(signal: AbortSignal | undefined, durationMillis: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = durationMillis !== undefined ? setTimeout(done, durationMillis) : null;
    function done(): void {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
