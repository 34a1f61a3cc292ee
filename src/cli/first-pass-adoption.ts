import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Crawler } from "../crawl/index.js";
import { recomputeAdoption, writeSimulatedAdoptionHistory, type EolTable } from "../releases/index.js";
import type { Db } from "../db/index.js";
import { errorLine } from "../net/errors.js";

/** Options of {@link refreshAdoptionDuringFirstPass}. */
export interface FirstPassAdoptionOptions {
  crawler: Crawler;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The end-of-life table (`--eol-table`); default the built-in one. */
  eolTable?: EolTable;
  /** Least time between two recomputes. Default 20 s. */
  everyMillis?: number;
  /** Recompute only while this is true (this process holds release polling). Default always. */
  when?: () => boolean;
}

/**
 * Inside `fedimon run`: the release poller recomputes patch adoption and advisory exposure when it
 * stores something new or a day begins, and its first poll usually comes before the crawler has
 * polled anything. So while the first crawl pass fills the store, adoption is recomputed at most
 * every `everyMillis` as servers are polled, and once more when the pass has drained (nothing
 * queued, nothing in flight, twice in a row); then the poller's own schedule takes over. In a store
 * holding simulated history (`fedimon demo`), each of these recomputes also rewrites the simulated
 * days of the patch-adoption history from its snapshot (releases/simulated-adoption.ts), so the
 * last one derives them from the whole first pass. Returns the unsubscribe.
 */
export function refreshAdoptionDuringFirstPass(o: FirstPassAdoptionOptions): () => void {
  const every = o.everyMillis ?? 20_000;
  const log = o.logger.child("releases");
  let lastAt = -Infinity;
  let lastDone = 0;
  let busy = false;
  let finished = false;
  let idleSnapshots = 0;
  // The demo's store: the simulated days of the adoption history, derived from each snapshot of
  // the pass (the chart fills at once) and replaced by the next, the last from the whole pass.
  let simulatedDays = new Set<string>();
  const recompute = (): void => {
    if (o.when && !o.when()) return;
    busy = true;
    recomputeAdoption(o.db, o.clock.now(), o.eolTable ? { eolTable: o.eolTable } : {})
      .then(async ({ day, snapshot }) => {
        simulatedDays = (await writeSimulatedAdoptionHistory(o.db, day, snapshot.branches, simulatedDays))
          .days;
      })
      .catch((err: unknown) => log.warn("adoption recompute failed", { error: errorLine(err) }))
      .finally(() => (busy = false));
  };
  const off = o.crawler.on("progress", (p) => {
    // Drained: nothing queued or in flight in two snapshots in a row (not a passing lull).
    idleSnapshots = p.queued === 0 && p.inFlight === 0 && p.done > 0 ? idleSnapshots + 1 : 0;
    const drained = idleSnapshots >= 2;
    if (finished || busy || (p.done === lastDone && !drained)) return;
    const now = o.clock.now().getTime();
    if (!drained && now - lastAt < every) return;
    lastAt = now;
    lastDone = p.done;
    if (drained) {
      finished = true;
      off();
    }
    recompute();
  });
  return off;
}
