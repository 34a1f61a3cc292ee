/** Longest piece of an operator's value repeated in a message. */
const QUOTE_MAX = 60;

/**
 * A value from a flag or a file, quoted for a message or a log line: JSON-style quotes, anything
 * outside printable ASCII escaped (control bytes, bidirectional overrides, invalid UTF-8 read as
 * U+FFFD), cut at 60 characters. Never raw bytes.
 */
export function quote(value: string): string {
  let out = "";
  const chars = [...value.slice(0, QUOTE_MAX * 2)];
  for (const ch of chars.slice(0, QUOTE_MAX)) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else out += code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
  }
  return `"${out}"${chars.length > QUOTE_MAX ? "…" : ""}`;
}
