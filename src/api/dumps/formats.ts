import type { DumpColumn, DumpColumnType } from "../queries/dumps.js";

/**
 * One row, three encodings: the canonical JSON value of each column (what JSON Lines carries and
 * what an import reads back), a CSV cell, and a Parquet value with its schema element.
 */

/** A row with canonical values: strings, safe integers, finite numbers, booleans, ISO strings, JSON values or null. */
export type CanonicalRow = Record<string, unknown>;

function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(v as string);
}

/** The canonical value of a store value for a column type. */
export function canonicalValue(type: DumpColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "string":
      return String(v);
    case "integer":
    case "number":
      return Number(v);
    case "boolean":
      return Boolean(v);
    case "timestamp":
      return toDate(v).toISOString();
    case "date":
      return typeof v === "string" ? v.slice(0, 10) : toDate(v).toISOString().slice(0, 10);
    case "json":
      return typeof v === "string" ? (JSON.parse(v) as unknown) : v;
  }
}

/** A store row as a canonical row, columns in the dataset's order. */
export function canonicalRow(columns: readonly DumpColumn[], raw: Record<string, unknown>): CanonicalRow {
  const out: CanonicalRow = {};
  for (const c of columns) out[c.name] = canonicalValue(c.type, raw[c.name]);
  return out;
}

/** One JSON Lines line (with its newline). */
export function jsonLine(row: CanonicalRow): string {
  return JSON.stringify(row) + "\n";
}

/** Text that a spreadsheet would run as a formula is prefixed with `'` in CSV only (JSON Lines and Parquet keep it exact). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell (RFC 4180): empty for null; quoted when needed. */
export function csvCell(type: DumpColumnType, v: unknown): string {
  if (v === null || v === undefined) return "";
  let s: string;
  if (type === "json") s = JSON.stringify(v);
  else if (type === "boolean") s = v ? "true" : "false";
  else s = String(v);
  if (type === "string" && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record (with its CRLF, as RFC 4180 says). */
export function csvLine(columns: readonly DumpColumn[], row: CanonicalRow): string {
  return columns.map((c) => csvCell(c.type, row[c.name])).join(",") + "\r\n";
}

/** The CSV header record. */
export function csvHeader(columns: readonly DumpColumn[]): string {
  return columns.map((c) => c.name).join(",") + "\r\n";
}

/** A Parquet schema element (hyparquet-writer's SchemaElement). */
export interface ParquetElement {
  name: string;
  type: "BYTE_ARRAY" | "INT64" | "INT32" | "DOUBLE" | "BOOLEAN";
  converted_type?: "UTF8" | "JSON" | "TIMESTAMP_MILLIS" | "DATE";
  repetition_type: "REQUIRED" | "OPTIONAL";
}

/** The Parquet schema element of a column. */
export function parquetElement(c: DumpColumn): ParquetElement {
  const repetition_type = c.nullable ? "OPTIONAL" : "REQUIRED";
  switch (c.type) {
    case "string":
      return { name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type };
    case "integer":
      return { name: c.name, type: "INT64", repetition_type };
    case "number":
      return { name: c.name, type: "DOUBLE", repetition_type };
    case "boolean":
      return { name: c.name, type: "BOOLEAN", repetition_type };
    case "timestamp":
      return { name: c.name, type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type };
    case "date":
      return { name: c.name, type: "INT32", converted_type: "DATE", repetition_type };
    case "json":
      return { name: c.name, type: "BYTE_ARRAY", converted_type: "JSON", repetition_type };
  }
}

/** A canonical value as hyparquet-writer takes it for the column's element. */
export function parquetValue(type: DumpColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "integer":
      return BigInt(v as number);
    case "timestamp":
      return new Date(v as string);
    case "date":
      return new Date(`${v as string}T00:00:00Z`);
    default:
      return v;
  }
}
