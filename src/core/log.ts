import { pino, type Logger as PinoLogger } from "pino";

/**
 * Structured logger with scopes (`crawl.nodeinfo`) and properties. A thin contract so
 * tests can capture logs and so the implementation (pino, to stderr as JSON lines) can change.
 */
export interface Logger {
  debug(msg: string, props?: Record<string, unknown>): void;
  info(msg: string, props?: Record<string, unknown>): void;
  warn(msg: string, props?: Record<string, unknown>): void;
  error(msg: string, props?: Record<string, unknown>): void;
  /** A logger whose lines carry `scope` (dot-joined with the parent's). */
  child(scope: string): Logger;
}

/** Log levels, quietest last. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** How log lines are written: `json` lines, or `pretty` (one readable line per entry). */
export type LogFormat = "json" | "pretty";

/** Where log lines go: a stream, or anything with a `write` (the CLI's terminal line). */
export interface LogDestination {
  write(chunk: string): unknown;
}

class PinoAdapter implements Logger {
  constructor(
    private readonly root: PinoLogger,
    private readonly p: PinoLogger,
    private readonly scope: string,
  ) {}
  debug(msg: string, props?: Record<string, unknown>): void {
    this.p.debug(props ?? {}, msg);
  }
  info(msg: string, props?: Record<string, unknown>): void {
    this.p.info(props ?? {}, msg);
  }
  warn(msg: string, props?: Record<string, unknown>): void {
    this.p.warn(props ?? {}, msg);
  }
  error(msg: string, props?: Record<string, unknown>): void {
    this.p.error(props ?? {}, msg);
  }
  child(scope: string): Logger {
    const full = this.scope ? `${this.scope}.${scope}` : scope;
    // A child of the root, not of this logger: pino would otherwise write `scope` once per level.
    return new PinoAdapter(this.root, this.root.child({ scope: full }), full);
  }
}

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

function prettyValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v) ?? String(v);
}

/**
 * One readable line for a pino JSON line: `12:00:01.234 WARN  crawl: msg key=value ...` (UTC
 * time). Anything that is not a JSON object is passed through.
 */
export function prettyLogLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const { level, time, msg, scope, ...rest } = o;
  const at = typeof time === "number" ? new Date(time).toISOString().slice(11, 23) : "";
  const name = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  const props = Object.entries(rest)
    .map(([k, v]) => `${k}=${prettyValue(v)}`)
    .join(" ");
  const where = typeof scope === "string" && scope ? `${scope}: ` : "";
  return `${at} ${name} ${where}${String(msg ?? "")}${props ? `  ${props}` : ""}\n`;
}

/**
 * The structured logger on stderr (stdout stays for command output). Default level: info; default
 * format: JSON lines.
 */
export function createLogger(
  level: LogLevel = "info",
  destination: LogDestination = process.stderr,
  format: LogFormat = "json",
): Logger {
  const out =
    format === "pretty" ? { write: (line: string) => destination.write(prettyLogLine(line)) } : destination;
  const root = pino({ level, base: undefined }, out as NodeJS.WritableStream);
  return new PinoAdapter(root, root, "");
}

/** A logger that drops everything. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
};

/** A logger that keeps lines in memory, for tests that assert on logs (and on what they must not hold). */
export class MemoryLogger implements Logger {
  constructor(
    readonly lines: { level: string; scope: string; msg: string; props: Record<string, unknown> }[] = [],
    private readonly scope = "",
  ) {}
  #push(level: string, msg: string, props?: Record<string, unknown>): void {
    this.lines.push({ level, scope: this.scope, msg, props: props ?? {} });
  }
  debug(msg: string, props?: Record<string, unknown>): void {
    this.#push("debug", msg, props);
  }
  info(msg: string, props?: Record<string, unknown>): void {
    this.#push("info", msg, props);
  }
  warn(msg: string, props?: Record<string, unknown>): void {
    this.#push("warn", msg, props);
  }
  error(msg: string, props?: Record<string, unknown>): void {
    this.#push("error", msg, props);
  }
  child(scope: string): Logger {
    return new MemoryLogger(this.lines, this.scope ? `${this.scope}.${scope}` : scope);
  }
}
