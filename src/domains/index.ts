// Public surface of domains/: which names the crawler may know about and contact. Pure, no network.
export * from "./normalize.js";
export * from "./spam-cap.js";
export * from "./deny-list.js";
export { parseCsv } from "./csv.js";
