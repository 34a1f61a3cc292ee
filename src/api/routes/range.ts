import { badRequest } from "../errors.js";

const DAY = 86_400_000;

/**
 * The days a history answer covers: `to` (default now) and `from` (default `defaultDays` before
 * `to`); refused with 400 when `from` is after `to` or the range is longer than 10 years.
 */
export function historyRange(
  query: { from?: Date | undefined; to?: Date | undefined },
  now: Date,
  defaultDays = 90,
): { from: Date; to: Date } {
  const to = query.to ?? now;
  const from = query.from ?? new Date(to.getTime() - defaultDays * DAY);
  if (from > to) throw badRequest("invalid query: from must not be after to");
  if (to.getTime() - from.getTime() > 3_660 * DAY)
    throw badRequest("invalid query: at most 10 years at once");
  return { from, to };
}
