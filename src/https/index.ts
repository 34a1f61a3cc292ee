/**
 * How well a server runs HTTPS: a probe that gathers facts (TLS versions, certificate, HSTS,
 * plain-HTTP redirect, security headers), a pure rubric that scores them, the daily cadence, and
 * the IPv6 reachability probe. Network access only through net/'s fetcher and guarded lookup.
 */
export { probeHttps, classifyPlainHttp } from "./probe.js";
export type { HttpsProbeDeps } from "./probe.js";
export { scoreHttps, RUBRIC, GRADE_FLOORS } from "./score.js";
export type { DeductionCode } from "./score.js";
export { httpsProbeDue, httpsProbeAllowed, HTTPS_PROBE_INTERVAL_MILLIS } from "./cadence.js";
export { parseHsts, readSecurityHeaders, HSTS_MIN_MAX_AGE_SECS } from "./headers.js";
export { certificateFacts } from "./certificate.js";
export { handshake } from "./tls-handshake.js";
export type {
  HandshakeOptions,
  HandshakeResult,
  HandshakeSuccess,
  HandshakeFailure,
} from "./tls-handshake.js";
export { probeIpv6, ipv6Only } from "./ipv6.js";
export type { Ipv6Probe, Ipv6ProbeDeps } from "./ipv6.js";
export type * from "./types.js";
export { probeServerDaily } from "./daily.js";
export type { DailyProbeDeps, DailyProbeResult } from "./daily.js";
