import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { format, resolveConfig } from "prettier";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../config/config.js";
import { sampleValue } from "../config/field-samples.js";
import { COMMANDS, CONFIG_FIELD_LIST, type CommandName, fieldChoices, valueKind } from "../config/fields.js";
import { configFromFlags } from "./common.js";
import { registerCommands } from "./commands/index.js";
import { COMMAND_FLAGS, commandFlagsOf, configFieldsOf, flagName } from "./options.js";
import { configurationDocTables, DOC_FILE, tablesOf, withTables } from "./options-doc.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOC = join(ROOT, DOC_FILE);

/** The program's commands, their actions replaced by nothing: parsing only. */
function program(): Map<string, Command> {
  const root = new Command().exitOverride();
  registerCommands(root);
  const byName = new Map<string, Command>();
  for (const cmd of root.commands) {
    cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    cmd.action(() => undefined);
    byName.set(cmd.name(), cmd);
  }
  return byName;
}

/** The long flags a command's `--help` lists (commander's own `--help` left out). */
function helpFlags(cmd: Command): string[] {
  const flags = [...cmd.helpInformation().matchAll(/^ {2}(?:-\w, )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!);
  return flags.filter((f) => f !== "--help").sort();
}

/** The arguments a command needs besides its flags. */
const ARGS: Partial<Record<CommandName, string[]>> = {
  server: ["a.example"],
  export: ["./out"],
  import: ["./in"],
};

/** Parses `command ...args` with a new program; returns commander's error code, or null. */
function parseError(command: CommandName, args: string[]): string | null {
  const cmd = program().get(command)!;
  try {
    cmd.parse([...(ARGS[command] ?? []), ...args], { from: "user" });
    return null;
  } catch (err) {
    if (err instanceof CommanderError) return err.code;
    throw err;
  }
}

/** `(flag declaration, commands)` rows of the docs' generated tables, as the file has them. */
function documentedFlags(doc: string): { flag: string; commands: CommandName[] }[] {
  const rows: { flag: string; commands: CommandName[] }[] = [];
  let columns: string[] = [];
  for (const line of tablesOf(doc).split("\n")) {
    if (!line.startsWith("|")) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (cells.includes("flag") && cells.includes("commands")) {
      columns = cells;
      continue;
    }
    const flag = /^`(--[^`]+)`$/.exec(cells[columns.indexOf("flag")] ?? "")?.[1];
    const listed = cells[columns.indexOf("commands")] ?? "";
    if (!flag) continue;
    const commands = listed.startsWith("all but")
      ? COMMANDS.filter((c) => !listed.includes(`\`${c}\``))
      : [...listed.matchAll(/`([a-z]+)`/g)].map((m) => m[1] as CommandName);
    rows.push({ flag, commands });
  }
  return rows;
}

/** A value the flag accepts: its first choice when it has choices, else any string. */
function sampleArgs(flag: string): string[] {
  if (!flag.includes(" ")) return [flagName(flag)];
  const field = CONFIG_FIELD_LIST.find((f) => f.flag === flag);
  return [flagName(flag), (field && fieldChoices(field)[0]) ?? "1"];
}

describe("command flags", () => {
  it(`${DOC_FILE}'s flag tables are the ones the field table makes`, async () => {
    const doc = readFileSync(DOC, "utf8");
    const expected = await format(withTables(doc, configurationDocTables()), {
      ...(await resolveConfig(DOC)),
      filepath: DOC,
    });
    expect(
      tablesOf(doc),
      `${DOC_FILE} differs from src/config/fields.ts and src/cli/options.ts: run \`npm run docs:config\``,
    ).toBe(tablesOf(expected));
  });

  it("each command's --help lists exactly the flags the table gives it", () => {
    const commands = program();
    expect([...commands.keys()].sort()).toEqual([...COMMANDS].sort());
    for (const name of COMMANDS) {
      const table = [...configFieldsOf(name), ...commandFlagsOf(name)].map((f) => flagName(f.flag)).sort();
      expect(helpFlags(commands.get(name)!), name).toEqual(table);
      expect(new Set(table).size, `${name} has a flag twice`).toBe(table.length);
    }
  });

  it("the commands the docs give a flag accept it, and every other command refuses it", () => {
    const documented = documentedFlags(readFileSync(DOC, "utf8"));
    // Every flag of the tables is read back: the parse above is not vacuous.
    expect(documented.length).toBe(
      CONFIG_FIELD_LIST.filter((f) => f.flag !== null).length + COMMAND_FLAGS.length,
    );
    for (const { flag, commands } of documented) {
      for (const command of commands)
        expect(parseError(command, sampleArgs(flag)), `${command} ${flag}`).toBe(null);
    }
    const takes = (command: CommandName, name: string): boolean =>
      documented.some((d) => flagName(d.flag) === name && d.commands.includes(command));
    for (const { flag } of documented) {
      for (const command of COMMANDS.filter((c) => !takes(c, flagName(flag))))
        expect(parseError(command, sampleArgs(flag)), `${command} ${flag}`).toBe("commander.unknownOption");
    }
  });

  it("every `fedimon COMMAND --flag` written in the README and the docs names a flag COMMAND takes", () => {
    const files = [
      "README.md",
      ...readdirSync(join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    const commands = program();
    let seen = 0;
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), "utf8");
      // A command line: up to the end of the line (or a continued line), a backquote or a table cell.
      for (const m of text.matchAll(/fedimon\s+([a-z]+)\b((?:[^\n`|]*\\\n)*[^\n`|]*)/g)) {
        const cmd = commands.get(m[1]!);
        if (!cmd) continue;
        const takes = new Set(helpFlags(cmd));
        for (const flag of m[2]!.match(/--[a-z][a-z0-9-]*/g) ?? []) {
          seen++;
          expect(takes.has(flag), `${file}: ${m[0].trim()}`).toBe(true);
        }
      }
    }
    expect(seen).toBeGreaterThan(10);
  });

  it("every setting's flag reaches its field, from each command that takes it", () => {
    const defaults = defaultConfig();
    let checked = 0;
    for (const field of CONFIG_FIELD_LIST) {
      if (field.flag === null) continue;
      for (const command of field.commands) {
        const cmd = program().get(command)!;
        const value = valueKind(field) === "boolean" ? [] : [sampleValue(field)];
        cmd.parse([...(ARGS[command] ?? []), flagName(field.flag), ...value], { from: "user" });
        const config = configFromFlags(cmd.opts(), {});
        expect(config[field.key], `${command} ${field.flag}`).not.toEqual(defaults[field.key]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("takes --geoip-db, --asn-db and --misreport-overrides where they are used, and no --seed in the simulation", () => {
    expect(parseError("crawl", ["--geoip-db", "g.mmdb", "--asn-db", "a.mmdb"])).toBe(null);
    expect(parseError("run", ["--misreport-overrides", "o.csv"])).toBe(null);
    expect(parseError("serve", ["--geoip-db", "g.mmdb"])).toBe("commander.unknownOption");
    expect(parseError("sim", ["--random-seed", "7"])).toBe(null);
    expect(parseError("sim", ["--seed", "7"])).toBe("commander.unknownOption");
    expect(parseError("demo", ["--seed", "7"])).toBe("commander.unknownOption");
  });
});
