// Public surface of software/: parsers of what servers say about themselves. Pure, no I/O.
export type { ParseResult } from "./parse-result.js";
export * from "./version.js";
export * from "./families.js";
export * from "./nodeinfo.js";
export * from "./instance.js";
export * from "./activity.js";
export * from "./peers.js";
export * from "./hostmeta.js";
export * from "./webfinger.js";
export type { XrdLink } from "./xrd.js";
export { SANITY_LIMITS } from "./fields.js";
