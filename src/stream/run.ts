import type { StreamService, StreamSummary } from "./service.js";

/**
 * `fedimon stream`'s run, once the composition (cli/compose) has built the listeners: starts them,
 * runs until `signal` aborts (or `durationMillis` passes), writes what is left and returns a
 * summary of numbers.
 */
export async function runListeners(
  service: StreamService,
  opts: { signal?: AbortSignal; durationMillis?: number } = {},
): Promise<StreamSummary> {
  await service.start();
  await waitFor(opts.signal, opts.durationMillis);
  return await service.stop();
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
