export * from "./outcome.js";
export * from "./closed-set.js";
export * from "./clock.js";
export * from "./log.js";
export * from "./observation.js";
export * from "./version.js";
