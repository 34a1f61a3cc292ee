export * from "./config.js";
export { loadConfig, ConfigError, ENV_VARS } from "./load.js";
