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

class PinoAdapter implements Logger {
  constructor(
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
    return new PinoAdapter(this.p.child({ scope: full }), full);
  }
}

/** JSON lines on stderr (stdout stays for command output). Default level: info. */
export function createLogger(
  level: LogLevel = "info",
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  return new PinoAdapter(pino({ level, base: undefined }, destination), "");
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
