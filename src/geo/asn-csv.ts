import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { parseIpv4 } from "./ip.js";
import { type AsnTable, AsnTableBuilder } from "./asn-table.js";

const require = createRequire(import.meta.url);

/**
 * The ASN databases used when `--asn-db` is not given: `@ip-location-db/asn` (RouteViews and
 * DB-IP data, CC BY 4.0), one CSV per family, rows `start,end,asn,organisation`.
 */
export const DEFAULT_ASN_CSV_PATHS: readonly string[] = [
  require.resolve("@ip-location-db/asn/asn-ipv4.csv"),
  require.resolve("@ip-location-db/asn/asn-ipv6.csv"),
];

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

/**
 * Loads `start,end,asn,org` CSV files (either family, addresses as text; a quoted organisation may
 * hold commas and doubled quotes) into one {@link AsnTable}. Works on the raw bytes so loading the
 * 33 MB of shipped CSV costs no per-row strings beyond the organisation names it keeps.
 */
export async function loadAsnCsv(paths: readonly string[] = DEFAULT_ASN_CSV_PATHS): Promise<AsnTable> {
  const builder = new AsnTableBuilder();
  for (const path of paths) {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      throw new Error(`cannot read ASN CSV ${path}: ${(err as Error).message}`, { cause: err });
    }
    addCsv(builder, buf);
  }
  return builder.build();
}

/** Adds every row of one CSV buffer to `builder`; unreadable rows are counted, never thrown. */
export function addCsv(builder: AsnTableBuilder, buf: Buffer): void {
  const len = buf.length;
  let pos = 0;
  while (pos < len) {
    let eol = buf.indexOf(NL, pos);
    if (eol < 0) eol = len;
    let end = eol;
    if (end > pos && buf[end - 1] === CR) end--;
    if (end > pos) addLine(builder, buf, pos, end);
    pos = eol + 1;
  }
}

function addLine(builder: AsnTableBuilder, buf: Buffer, from: number, to: number): void {
  const c1 = buf.indexOf(COMMA, from);
  const c2 = c1 < 0 ? -1 : buf.indexOf(COMMA, c1 + 1);
  const c3 = c2 < 0 ? -1 : buf.indexOf(COMMA, c2 + 1);
  if (c1 < 0 || c2 < 0 || c3 < 0 || c3 >= to) {
    builder.rejected++;
    return;
  }
  let asn = 0;
  for (let i = c2 + 1; i < c3; i++) {
    const d = (buf[i] ?? 0) - 48;
    if (d < 0 || d > 9) {
      builder.rejected++;
      return;
    }
    asn = asn * 10 + d;
  }
  const org = readOrg(buf, c3 + 1, to);
  const startText = buf.toString("latin1", from, c1);
  const endText = buf.toString("latin1", c1 + 1, c2);
  const s4 = parseIpv4(startText);
  if (s4 >= 0) {
    const e4 = parseIpv4(endText);
    if (e4 < 0) builder.rejected++;
    else builder.addV4(s4, e4, asn, org);
    return;
  }
  builder.add(startText, endText, asn, org);
}

function readOrg(buf: Buffer, from: number, to: number): string {
  if (buf[from] !== QUOTE) return buf.toString("utf8", from, to).trim();
  const inner = buf.toString("utf8", from + 1, buf[to - 1] === QUOTE ? to - 1 : to);
  return inner.replaceAll('""', '"').trim();
}
