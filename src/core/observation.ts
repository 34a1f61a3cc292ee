import type { Outcome } from "./outcome.js";

/**
 * A parsed software version. `raw` is always kept; the numeric parts are null when the string
 * could not be read (unparseable versions are kept as-is and counted as such, never guessed).
 */
export interface ParsedVersion {
  raw: string;
  major: number | null;
  minor: number | null;
  patch: number | null;
  /** e.g. `beta.2`, `rc1`, `nightly.2025-05-01`; null for a release. */
  prerelease: string | null;
  /** Build metadata after `+`, e.g. `glitch`, `hometown-1.0.8`. */
  build: string | null;
}

/** Software as a server reports it, normalised. */
export interface SoftwareInfo {
  /** NodeInfo `software.name`, lower-cased (e.g. `mastodon`, `misskey`, `gotosocial`). */
  name: string;
  /** The family the software belongs to (e.g. `mastodon` for hometown, `misskey` for firefish). */
  family: string;
  /** Version string as served, or null. */
  version: string | null;
  parsedVersion: ParsedVersion | null;
  /** Mastodon fork recognised from NodeInfo or version suffix (`glitch-soc`, `hometown`, ...), or null. */
  fork: string | null;
  /** Upstream version the fork is based on, when it carries one. */
  upstreamVersion: string | null;
}

/**
 * Usage figures a server reported that were not kept as they came (a monthly-active count above
 * the total, a count beyond any real server, a negative number): the number as reported, beside
 * the kept (sanitized) value, which is null. Null for a figure kept as reported or not reported.
 * The misreport rules judge these; totals only ever sum the kept values.
 */
export interface ReportedFigures {
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
}

/**
 * Everything one poll learned about one server. Every field the poll could not learn is null
 * (never 0 for unknown). This is the typed value that crosses from `crawl/` into its store (`crawl/store/`).
 */
export interface Observation {
  domain: string;
  observedAt: Date;
  outcome: Outcome;
  /** HTTP status of the response that decided the outcome, when there was one. */
  httpStatus: number | null;
  /** A short, readable explanation of the outcome (no stack traces). */
  detail: string | null;
  /** Milliseconds from the first request of the poll to the NodeInfo document. */
  responseTimeMillis: number | null;
  software: SoftwareInfo | null;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  /** Length of the peers list (the list itself is never stored). */
  peersCount: number | null;
  registrationsOpen: boolean | null;
  registrationsApprovalRequired: boolean | null;
  languages: string[] | null;
  title: string | null;
  /** The web domain when it differs from the account domain (found through host-meta / WebFinger). */
  webDomain: string | null;
  /** Numbers that made no sense and were dropped, with the reason (e.g. `usersTotal: negative`). */
  rejectedFields: string[];
  /** What the server reported for the usage figures that were not kept; null when all were kept. */
  reported: ReportedFigures | null;
}

/** An Observation with every optional field unknown, as the base for building one. */
export function emptyObservation(domain: string, observedAt: Date, outcome: Outcome): Observation {
  return {
    domain,
    observedAt,
    outcome,
    httpStatus: null,
    detail: null,
    responseTimeMillis: null,
    software: null,
    usersTotal: null,
    usersActiveMonth: null,
    usersActiveHalfyear: null,
    localPosts: null,
    peersCount: null,
    registrationsOpen: null,
    registrationsApprovalRequired: null,
    languages: null,
    title: null,
    webDomain: null,
    rejectedFields: [],
    reported: null,
  };
}
