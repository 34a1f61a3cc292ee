import { readdirSync, readFileSync } from "node:fs";
import { defaultFixturesDir } from "../../sim/fixtures-dir.js";

/**
 * Test helper: the captured real server responses (`sim/fixtures/`, scrubbed of personal content).
 * Used only by tests; reading files is the one I/O software/ tests do.
 */
export const FIXTURES_DIR = defaultFixturesDir().replace(/\/?$/, "/");

/** Names of the files in one fixtures folder, sorted. */
export function listFixtures(folder: string): string[] {
  return readdirSync(`${FIXTURES_DIR}${folder}`).sort();
}

/** A fixture's text. */
export function readFixture(folder: string, name: string): string {
  return readFileSync(`${FIXTURES_DIR}${folder}/${name}`, "utf8");
}

/** A fixture parsed as JSON. */
export function readJsonFixture(folder: string, name: string): unknown {
  return JSON.parse(readFixture(folder, name));
}

/** The body of a raw HTTP response fixture (`*.http.txt`): everything after the first blank line. */
export function httpBody(text: string): { contentType: string | null; body: string } {
  const split = text.search(/\r?\n\r?\n/);
  if (!text.startsWith("HTTP/") || split < 0) return { contentType: null, body: text };
  const head = text.slice(0, split);
  const ct = /^content-type:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? null;
  return { contentType: ct, body: text.slice(split).replace(/^\s+/, "") };
}
