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
  #json = false;
  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {}

  /** Whether the stream is a terminal (the live line is drawn only there). */
  get isTTY(): boolean {
    return Boolean(this.out.isTTY);
  }

  get columns(): number {
    return this.out.columns ?? 120;
  }

  /**
   * From now on every line written here is a JSON object, as `--log-format json` promises: a
   * message that is not a log record already becomes one (`{"level":30,"time":...,"msg":...}`).
   */
  jsonOnly(): void {
    this.#json = true;
  }

  /**
   * Writes whole lines (a log entry, a message) above the live line; `level` is the log level a
   * plain message gets when every line must be JSON (pino's numbers: 30 info, 50 error).
   */
  write(chunk: string, level = 30): boolean {
    const text =
      this.#json && !chunk.startsWith("{")
        ? asRecords(chunk, level)
        : chunk.endsWith("\n")
          ? chunk
          : `${chunk}\n`;
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

/** Plain message lines as JSON log records, one per line. */
function asRecords(chunk: string, level: number): string {
  const time = Date.now();
  return chunk
    .replace(/\n$/, "")
    .split("\n")
    .map((msg) => `${JSON.stringify({ level, time, msg })}\n`)
    .join("");
}

/** The process's stderr, shared by every command's logger and progress line. */
export const stderrLine = new TerminalLine(process.stderr);

/**
 * The logger of a command: on stderr through {@link stderrLine}, readable lines on a terminal and
 * JSON lines elsewhere, unless `--log-format` says otherwise. Off a terminal, `--log-format json`
 * also turns the command's own messages on that line (progress notes, summaries, errors) into JSON
 * records, so a log collector reads nothing else; on a terminal they stay readable.
 */
export function cliLogger(config: Pick<Config, "logLevel" | "logFormat">, line = stderrLine): Logger {
  if (config.logFormat === "json" && !line.isTTY) line.jsonOnly();
  return createLogger(config.logLevel, line, config.logFormat ?? (line.isTTY ? "pretty" : "json"));
}
