/**
 * The typed inputs and outputs of the statistics (all pure functions in this folder work on these;
 * the store fills them, the API and the dashboard read them).
 */

/** The dimensions every rollup is broken down by. `none` is the whole network (one key, `""`). */
export const DIMENSIONS = [
  "none",
  "software",
  "fork",
  "branch",
  "country",
  "network",
  "registrations",
] as const;

/** One rollup dimension. */
export type Dimension = (typeof DIMENSIONS)[number];

/** The key used for a server whose value in a dimension is not known. */
export const UNKNOWN_KEY = "unknown";

/** The key that gathers a dimension's smallest keys beyond `maxKeysPerDimension`. */
export const OTHER_KEY = "(other)";

/** The figures a server reported in one answer (null: not reported or not readable; never 0 for unknown). */
export interface Figures {
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
}

/** A server's last answer: when, and what it said. */
export interface Answer extends Figures {
  at: Date;
  /**
   * Figures the server reported that were not kept (the kept one above is null), as reported; the
   * misreport rules judge these, sums never include them. Absent or null: every figure was kept.
   */
  reported?: Figures | null;
}

/**
 * What the statistics know of one server at one instant `at` (the time a total is computed for).
 * Built by the store from `servers`, the raw observations and the daily history.
 */
export interface ServerState {
  domain: string;
  /** `soft` servers count in aggregates and are never listed one by one; `hard` ones are never contacted. */
  denyLevel: "soft" | "hard" | null;
  /** The latest answer at or before `at` that lies within the carry window, or null. */
  current: Answer | null;
  /**
   * The last answer of an earlier day (the daily history's last value before the day of `at`), so
   * a jump between polls can be caught the moment it happens; null when unknown.
   */
  baseline: Answer | null;
  /** The last time the server ever answered, at or before `at` (kept for dead servers); null: never. */
  lastSeenUpAt: Date | null;
  /** The server's key in each dimension (null: unknown). `none` is always `""`. */
  keys: Record<Exclude<Dimension, "none">, string | null>;
  /** Misreport rule ids raised on this server and not cleared by an operator. */
  flags: readonly string[];
  /** Rule ids an operator cleared for this server (they are not raised by the instant checks either). */
  clearedRules: readonly string[];
}

/** How a server counts in a total at instant `at`. */
export type Standing =
  /** Answered within `freshHours`: counted with its own, current numbers. */
  | "fresh"
  /** Silent for longer than `freshHours` but answered within the carry window: counted with its last numbers. */
  | "carried"
  /** Answered within the carry window but raised a misreport rule: left out of the sums, shown with the reason. */
  | "flagged"
  /** Answered once, silent for longer than the carry window: out of the active set, kept with its last-seen time. */
  | "dead"
  /** Never answered (unreachable, not fediverse, not polled yet). */
  | "never";

/** Options of the carry-forward rule. */
export interface TotalsOptions {
  /** A server that answered within this many hours counts with its last known numbers. Default 72. */
  carryWindowHours?: number;
  /** An answer at most this many hours old counts as fresh (the poll cadence plus jitter). Default 2. */
  freshHours?: number;
  /**
   * A rollup keeps at most this many keys per dimension (those with the most servers); the rest are
   * summed under `(other)`, so long tails (thousands of networks, one server each) stay cheap.
   * Default 200; 0 keeps every key.
   */
  maxKeysPerDimension?: number;
}

/** Servers and sums of one total (the whole network, or one key of one dimension). */
export interface Totals {
  /** Servers counted in the sums: fresh + carried. */
  servers: number;
  fresh: number;
  carried: number;
  /** Active servers left out of the sums because a misreport rule flagged them. */
  flagged: number;
  /** Servers silent for longer than the carry window (not in the sums). */
  dead: number;
  /** Servers that never answered. */
  never: number;
  /** Sum of `usersTotal` over counted servers that reported it. */
  users: number;
  usersActiveMonth: number;
  usersActiveHalfyear: number;
  localPosts: number;
  /** Part of `users` that comes from carried-forward numbers. */
  usersCarried: number;
  /** How many counted servers reported each figure (the rest reported nothing for it). */
  reporting: { users: number; usersActiveMonth: number; usersActiveHalfyear: number; localPosts: number };
}

/** One row of a rollup: a dimension, one of its keys, and that key's totals. */
export interface RollupRow extends Totals {
  dimension: Dimension;
  key: string;
}
