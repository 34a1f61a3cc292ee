import { type ConfigField, type ConfigKey, fieldChoices, valueKind } from "./fields.js";

/**
 * A valid value of a field, as a flag or an environment variable would give it, different from its
 * default: for tests that every flag and variable reaches its field.
 */
export function sampleValue(field: ConfigField & { key: ConfigKey }): string {
  switch (valueKind(field)) {
    case "list":
      return field.key === "seeds" ? "mastodon.social, pixelfed.social" : "127.0.0.0/8, ::1/128";
    case "number":
      return field.key === "crawlWorkers" ? "4" : "4096";
    case "boolean":
      return "true";
    case "enum":
      return fieldChoices(field).at(-1)!;
    default:
      return "127.0.0.2";
  }
}
