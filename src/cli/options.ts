import { type Command, Option } from "commander";
import {
  CONFIG_FIELD_LIST,
  CONFIGURED_COMMANDS,
  type CommandName,
  type ConfigField,
  type ConfigKey,
  fieldChoices,
} from "../config/fields.js";

/**
 * Every command's flags, from one table: the configuration fields that command uses (their flags,
 * defined in `config/fields.ts`) and the flags that are not configuration (below: what one
 * invocation does, or the standalone simulation's knobs). `--help`, the flags commander accepts
 * and docs/configuration.md are all derived from it, so a flag is documented for a command exactly
 * when that command takes it.
 */

/** A flag that is not a configuration field: read by the command itself. */
export interface CommandFlag {
  /** `--name <value>`, `--name` (a switch) or `--no-name` (turns on-by-default off). */
  flag: string;
  description: string;
  /** Commander's default value, shown in `--help`. */
  default?: string;
  /** The commands that take it. */
  commands: readonly CommandName[];
}

const STREAM: readonly CommandName[] = ["run", "stream"];
const API: readonly CommandName[] = ["run", "serve"];

/** The flags that are not configuration fields, in the order `--help` lists them. */
export const COMMAND_FLAGS: readonly CommandFlag[] = [
  {
    flag: "--once",
    description:
      "make one pass over everything due (including what the pass discovers), then exit (1 if no server was reached)",
    commands: ["crawl"],
  },
  { flag: "--once", description: "poll once and exit", commands: ["releases"] },
  {
    flag: "--worker-id <id>",
    description:
      "this process's name on its leases, observations and singleton jobs; distinct per process sharing a database",
    commands: ["run", "crawl", "releases", "stream", "serve"],
  },
  {
    flag: "--json",
    description: "print the final summary as JSON on stdout (with CPU time and peak memory)",
    commands: ["crawl"],
  },
  { flag: "--json", description: "print JSON (the default is a short text view)", commands: ["server"] },
  { flag: "--no-stream", description: "do not listen to public timelines", commands: ["run"] },
  { flag: "--no-releases", description: "do not poll upstream releases", commands: ["run"] },
  { flag: "--no-api", description: "do not serve the API", commands: ["run"] },
  {
    flag: "--no-crawl",
    description: "do not crawl (crawl workers run elsewhere: `fedimon crawl`)",
    commands: ["run"],
  },
  {
    flag: "--repos <list>",
    description: "owner/name[=software],... to follow (default: Mastodon and other major servers)",
    commands: ["releases"],
  },
  { flag: "--interval <secs>", description: "seconds between polls (default 300)", commands: ["releases"] },
  {
    flag: "--eol-table <file>",
    description: "JSON table of branch end-of-life dates, merged over the built-in one",
    commands: ["releases", "run"],
  },
  {
    flag: "--stream-servers <domains>",
    description: "listen to exactly these servers (default: the largest that allow it)",
    commands: STREAM,
  },
  {
    flag: "--stream-top <n>",
    description: "how many of the largest servers to listen to (default 20)",
    commands: STREAM,
  },
  {
    flag: "--stream-local",
    description: "listen to local timelines instead of federated ones",
    commands: STREAM,
  },
  {
    flag: "--duration <secs>",
    description: "stop after this many seconds (default: run until stopped)",
    commands: ["stream"],
  },
  {
    flag: "--public-url <url>",
    description: "this instance's public base URL (feed links, bot posts, dump manifests)",
    commands: API,
  },
  {
    flag: "--public-url <url>",
    description: "this instance's public URL, recorded in the manifest as the source",
    commands: ["export"],
  },
  {
    flag: "--dumps-dir <dir>",
    description: "where the daily open-data dumps are written and served at /dumps/",
    default: "./fedimon-dumps",
    commands: API,
  },
  {
    flag: "--rate-limit <n>",
    description: "API requests per client per minute before 429 (default 600; 0 turns it off)",
    commands: API,
  },
  {
    flag: "--trust-proxy",
    description: "take client addresses from X-Forwarded-For (behind a reverse proxy)",
    commands: API,
  },
  {
    flag: "--simulated",
    description: "label the data as simulated in the summary and on every dashboard page (the demo)",
    commands: API,
  },
  {
    flag: "--no-response-cache",
    description:
      "answer every API request afresh (no cached responses, Cache-Control max-age=0); the demo uses it while its store fills",
    commands: API,
  },
  {
    flag: "--mastodon-url <url>",
    description:
      "post a weekly summary to this Mastodon server as a bot (token from env FEDIMON_MASTODON_TOKEN)",
    commands: API,
  },
  {
    flag: "--merge",
    description: "import into a store that already has data (default: refuse)",
    commands: ["import"],
  },
  { flag: "--servers <n>", description: "virtual servers", default: "1000", commands: ["sim"] },
  { flag: "--servers <n>", description: "virtual servers", default: "2000", commands: ["demo"] },
  {
    flag: "--random-seed <s>",
    description: "random seed of the simulation (same seed, same fediverse)",
    default: "1",
    commands: ["sim", "demo"],
  },
  {
    flag: "--fault-rate <share>",
    description: "share of faulty servers",
    default: "0.25",
    commands: ["sim"],
  },
  {
    flag: "--latency <min,max>",
    description: "per-response delay range in ms",
    default: "5,50",
    commands: ["sim"],
  },
  {
    flag: "--truth <file>",
    description: "write the ground truth (expected values per domain) here as JSON",
    commands: ["sim"],
  },
  {
    flag: "--host-base <127.A.B>",
    description: "loopback block to listen under (default random)",
    commands: ["sim"],
  },
  { flag: "--port <n>", description: "API and dashboard port", default: "8080", commands: ["demo"] },
  {
    flag: "--db <dir>",
    description: "data folder of the demo's embedded store",
    default: "./fedimon-demo-data",
    commands: ["demo"],
  },
  {
    flag: "--history-days <n>",
    description: "days of simulated history to backfill into a new data folder (0: none)",
    default: "90",
    commands: ["demo"],
  },
  {
    flag: "--stream-servers <n>",
    description: "how many of the largest simulated servers stream their timelines",
    default: "20",
    commands: ["demo"],
  },
  {
    flag: "--config <file>",
    description: "JSON config file of the settings in docs/configuration.md (flags and env override it)",
    commands: CONFIGURED_COMMANDS,
  },
];

/** The `--help` line of a configuration field: its description, default and environment variables. */
export function configFieldHelp(field: ConfigField): string {
  const notes = [
    ...(field.defaultText === "none" ? [] : [`default ${field.defaultText}`]),
    ...(field.env.length > 0 ? [`env ${field.env.join(", ")}`] : []),
  ];
  return notes.length > 0 ? `${field.description} (${notes.join("; ")})` : field.description;
}

/** The configuration fields a command takes as flags, in table order. */
export function configFieldsOf(command: CommandName): (ConfigField & { key: ConfigKey; flag: string })[] {
  return CONFIG_FIELD_LIST.filter(
    (f): f is ConfigField & { key: ConfigKey; flag: string } =>
      f.flag !== null && f.commands.includes(command),
  );
}

/** The flags that are not configuration a command takes, in table order. */
export function commandFlagsOf(command: CommandName): CommandFlag[] {
  return COMMAND_FLAGS.filter((f) => f.commands.includes(command));
}

/** Every option of a command, as commander declares it: its own flags first, then configuration. */
export function optionsOf(command: CommandName): Option[] {
  const own = commandFlagsOf(command).filter((f) => f.flag.split(" ")[0] !== "--config");
  const config = commandFlagsOf(command).filter((f) => f.flag.split(" ")[0] === "--config");
  const declare = (f: CommandFlag): Option => {
    const o = new Option(f.flag, f.description);
    return f.default === undefined ? o : o.default(f.default);
  };
  return [
    ...own.map(declare),
    ...configFieldsOf(command).map((f) => {
      const o = new Option(f.flag, configFieldHelp(f));
      const choices = fieldChoices(f);
      return choices.length > 0 ? o.choices(choices) : o;
    }),
    ...config.map(declare),
  ];
}

/** Declares a command's options (and so its `--help`) from the table. */
export function addCommandOptions(cmd: Command, command: CommandName): Command {
  for (const option of optionsOf(command)) cmd.addOption(option);
  return cmd;
}

/** The long flag name of a declaration: `--db` of `--db <dir-or-url>`. */
export function flagName(flag: string): string {
  return flag.split(" ")[0]!;
}
