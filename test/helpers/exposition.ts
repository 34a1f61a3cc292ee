/**
 * A strict reader of Prometheus's text exposition format 0.0.4, for tests: it throws on anything
 * a Prometheus server would refuse or that the format forbids (a malformed line, a family whose
 * TYPE comes twice or after its samples, samples of one family not together, a sample that belongs
 * to no declared family, a histogram bucket without `le`, the same series twice) and returns the
 * families with their samples.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string | null;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = "[a-zA-Z_][a-zA-Z0-9_]*";
const VALUE = String.raw`(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (${VALUE})(?: -?\\d+)?$`);
const PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = PAIR.exec(rest);
    if (!m) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    if (m[1]! in out) throw new Error(`label ${m[1]} twice in ${JSON.stringify(line)}`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** The family a sample named `sample` belongs to, given its declared type. */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sample);
  const f = m ? families.get(m[1]!) : undefined;
  return f && (f.type === "histogram" || (f.type === "summary" && m![2] !== "bucket")) ? f : undefined;
}

/** Parses and checks `text`; throws with the offending line. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the text does not end with a line feed");
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: Family | null = null;
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.trim() === "") continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME})(?: (.*))?$`).exec(line);
    if (meta) {
      const [, kind, name, rest = ""] = meta;
      let f = families.get(name!);
      if (f && f !== current) throw new Error(`${name} declared again, apart: ${JSON.stringify(line)}`);
      if (!f) {
        f = { name: name!, type: "untyped", help: null, samples: [] };
        families.set(name!, f);
        current = f;
      }
      if (f.samples.length > 0) throw new Error(`${kind} after samples: ${JSON.stringify(line)}`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`unknown type: ${JSON.stringify(line)}`);
        f.type = rest;
      } else {
        if (f.help !== null) throw new Error(`HELP twice: ${JSON.stringify(line)}`);
        f.help = rest;
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels = parseLabels(m[2] ?? "", line);
    const f = familyOf(m[1]!, families);
    if (!f) throw new Error(`sample of no declared family: ${JSON.stringify(line)}`);
    if (f !== current) throw new Error(`samples of ${f.name} apart: ${JSON.stringify(line)}`);
    if (m[1]!.endsWith("_bucket") && f.type === "histogram" && !("le" in labels))
      throw new Error(`bucket without le: ${JSON.stringify(line)}`);
    const key = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`series twice: ${JSON.stringify(line)}`);
    series.add(key);
    const v = m[3]!;
    f.samples.push({
      name: m[1]!,
      labels,
      value: v === "NaN" ? NaN : v.endsWith("Inf") ? (v.startsWith("-") ? -Infinity : Infinity) : Number(v),
    });
  }
  return families;
}
