import type { StateRow } from "./store/rollups.js";
import { registrationKey, versionBranch } from "./totals.js";
import type { Answer, ServerState } from "./types.js";

/**
 * Turns what the store holds of a server at `at` into the state the pure totals classify: the
 * current answer is the newest of the raw observation and the daily history's last answer, if it
 * lies in the carry window; the baseline for the jump check is the daily answer when the current
 * one is newer than it.
 */
export function toServerState(row: StateRow, at: Date, carryWindowHours: number): ServerState {
  const from = at.getTime() - carryWindowHours * 3_600_000;
  const inWindow = (a: Answer | null): a is Answer => a !== null && a.at.getTime() > from && a.at <= at;
  const raw = inWindow(row.raw) ? row.raw : null;
  const daily = inWindow(row.daily) ? row.daily : null;
  const current = raw && (!daily || raw.at >= daily.at) ? raw : daily;
  const baseline = row.daily && current && row.daily.at < current.at ? row.daily : null;
  const everUp = row.lastSeenUpAt && row.lastSeenUpAt <= at ? row.lastSeenUpAt : (row.daily?.at ?? null);
  const lastSeenUpAt = current ? current.at : everUp;
  return {
    domain: row.domain,
    denyLevel: row.denyLevel,
    current,
    baseline,
    lastSeenUpAt,
    keys: {
      software: row.softwareName,
      fork: row.softwareName === null ? null : (row.fork ?? "none"),
      branch: versionBranch(row.softwareName, row.versionMajor, row.versionMinor),
      country: row.country,
      network: row.network,
      registrations: registrationKey(row.registrationsOpen, row.registrationsApprovalRequired),
    },
    flags: row.flags,
    clearedRules: row.cleared,
  };
}
