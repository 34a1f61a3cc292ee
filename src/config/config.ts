import { z } from "zod";
import { CONFIG_FIELD_LIST, type CONFIG_FIELDS, type ConfigKey } from "./fields.js";

/** Each field's schema, by key. */
type Shape = { [K in ConfigKey]: (typeof CONFIG_FIELDS)[K]["schema"] };

/**
 * One typed, read-only configuration. Precedence: command-line flags > environment
 * variables > config file (`--config FILE`, JSON) > defaults. Validated once at start, then passed down.
 * Every field (type, default, flag, environment variable, description) is defined once, in
 * `fields.ts`; this schema is built from that table.
 */
export const ConfigSchema = z.object(
  Object.fromEntries(CONFIG_FIELD_LIST.map((f) => [f.key, f.schema])) as Shape,
);

/** The validated configuration. */
export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** The defaults, for tests and library users. */
export function defaultConfig(overrides: Partial<z.input<typeof ConfigSchema>> = {}): Config {
  return ConfigSchema.parse(overrides);
}
