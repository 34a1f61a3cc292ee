import { CONFIG_FIELD_LIST, CONFIGURED_COMMANDS, type CommandName } from "../config/fields.js";
import { COMMAND_FLAGS } from "./options.js";

/**
 * The flag tables of docs/configuration.md, written from the tables of `config/fields.ts` and
 * `options.ts` by `npm run docs:config` between the two markers below; a unit test fails when the
 * file differs from what the tables say.
 */

/** The line before the generated tables. */
export const DOC_BEGIN = "<!-- BEGIN flags: written by `npm run docs:config` from src/config/fields.ts -->";
/** The line after them. */
export const DOC_END = "<!-- END flags -->";

/** The file the tables are written into, from the repository's root. */
export const DOC_FILE = "docs/configuration.md";

const code = (s: string): string => `\`${s}\``;

/** `run, crawl`, or `every configured command` when it is all of them. */
function commandList(commands: readonly CommandName[]): string {
  if (
    CONFIGURED_COMMANDS.every((c) => commands.includes(c)) &&
    commands.length === CONFIGURED_COMMANDS.length
  )
    return "all but `sim`, `demo`";
  return commands.map(code).join(", ");
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(header), row(header.map(() => "---")), ...rows.map(row)];
}

/** The generated block (markers excluded), before formatting. */
export function configurationDocTables(): string {
  const fields = table(
    ["key", "flag", "environment", "default", "commands", "meaning"],
    CONFIG_FIELD_LIST.map((f) => [
      code(f.key),
      f.flag ? code(f.flag) : "no flag",
      f.env.map(code).join(", "),
      f.defaultText,
      commandList(f.commands),
      f.description,
    ]),
  );
  const flags = table(
    ["flag", "commands", "default", "meaning"],
    COMMAND_FLAGS.map((f) => [code(f.flag), commandList(f.commands), f.default ?? "", f.description]),
  );
  return [
    "Settings: each is a flag of the commands listed, an environment variable and a key of the config file.",
    "",
    ...fields,
    "",
    "Flags of one command that are not settings (neither environment variables nor config file keys):",
    "",
    ...flags,
  ].join("\n");
}

/** Replaces the block between the markers of `doc` with `tables`. */
export function withTables(doc: string, tables: string): string {
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  if (begin < 0 || end < begin)
    throw new Error(`${DOC_FILE}: the markers ${DOC_BEGIN} and ${DOC_END} are missing`);
  return `${doc.slice(0, begin + DOC_BEGIN.length)}\n\n${tables.trim()}\n\n${doc.slice(end)}`;
}

/** The block between the markers of `doc`, trimmed. */
export function tablesOf(doc: string): string {
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  if (begin < 0 || end < begin) return "";
  return doc.slice(begin + DOC_BEGIN.length, end).trim();
}
