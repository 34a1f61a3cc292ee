import { readSimulatedHistory, type SimulatedHistory } from "../stats/store/simulated-history.js";
import type { ApiContext } from "./options.js";

const DAY = 86_400_000;

/** The store's simulated-history record (read at most every 60 s), or null. */
export async function simulatedHistory(ctx: ApiContext, now: Date): Promise<SimulatedHistory | null> {
  const entry = await ctx.cache.get("simulatedHistory", ctx.options.cache ? 60 : 0, now.getTime(), async () =>
    Buffer.from(JSON.stringify(await readSimulatedHistory(ctx.db))),
  );
  const raw = JSON.parse(entry.body.toString()) as {
    hourly: { from: string; to: string };
    daily: { from: string; to: string };
    writtenAt: string;
    note: string;
  } | null;
  if (!raw) return null;
  return {
    hourly: { from: new Date(raw.hourly.from), to: new Date(raw.hourly.to) },
    daily: raw.daily,
    writtenAt: new Date(raw.writtenAt),
    note: raw.note,
  };
}

/** The simulated periods of a resolution as instants: [from, to). */
export function simulatedRange(h: SimulatedHistory, resolution: "hour" | "day"): { from: Date; to: Date } {
  return resolution === "hour"
    ? h.hourly
    : { from: new Date(`${h.daily.from}T00:00:00Z`), to: new Date(`${h.daily.to}T00:00:00Z`) };
}

/** Whether the rollup period starting at `period` was simulated. */
export function isSimulatedPeriod(
  h: SimulatedHistory | null,
  resolution: "hour" | "day",
  period: Date,
): boolean {
  if (!h) return false;
  const r = simulatedRange(h, resolution);
  return period >= r.from && period < r.to;
}

/**
 * The `simulated` / `simulatedRange` fields of a history answer over [from, to] at `resolution`:
 * simulated when a period that starts in the range is simulated.
 */
export function simulatedAnswer(
  h: SimulatedHistory | null,
  resolution: "hour" | "day",
  from: Date,
  to: Date,
): { simulated: boolean; simulatedRange: { from: string; to: string } | null } {
  if (!h) return { simulated: false, simulatedRange: null };
  const r = simulatedRange(h, resolution);
  const start = resolution === "day" ? new Date(Math.floor(from.getTime() / DAY) * DAY) : from;
  return {
    simulated: start < r.to && to >= r.from,
    simulatedRange: { from: r.from.toISOString(), to: r.to.toISOString() },
  };
}
