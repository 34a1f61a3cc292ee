import type { Config } from "../config/index.js";
import { createLogger, type LogDestination, type Logger } from "../core/log.js";

const CLEAR_LINE = "\r\x1b[2K";

/**
 * stderr as the CLI shares it between log lines and the live progress line: a log line written
 * while the progress line shows clears it first and draws it again below, so the two never end up
 * on one line.
 */
export class TerminalLine implements LogDestination {
  #status = "";
  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {}

  /** Whether the stream is a terminal (the live line is drawn only there). */
  get isTTY(): boolean {
    return Boolean(this.out.isTTY);
  }

  get columns(): number {
    return this.out.columns ?? 120;
  }

  /** Writes whole lines (a log entry, a message) above the live line. */
  write(chunk: string): boolean {
    const text = chunk.endsWith("\n") ? chunk : `${chunk}\n`;
    if (!this.#status) return this.out.write(text);
    return this.out.write(`${CLEAR_LINE}${text}${this.#status}`);
  }

  /** Draws (or redraws) the live line. */
  status(line: string): void {
    this.#status = line;
    this.out.write(`${CLEAR_LINE}${line}`);
  }

  /** Removes the live line. */
  clearStatus(): void {
    if (!this.#status) return;
    this.#status = "";
    this.out.write(CLEAR_LINE);
  }
}

/** The process's stderr, shared by every command's logger and progress line. */
export const stderrLine = new TerminalLine(process.stderr);

/**
 * The logger of a command: on stderr through {@link stderrLine}, readable lines on a terminal and
 * JSON lines elsewhere, unless `--log-format` says otherwise.
 */
export function cliLogger(config: Pick<Config, "logLevel" | "logFormat">, line = stderrLine): Logger {
  return createLogger(config.logLevel, line, config.logFormat ?? (line.isTTY ? "pretty" : "json"));
}
