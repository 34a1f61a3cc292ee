// Writes the docs' tables that are generated from the code (the closed sets: outcome classes and
// what each part of fedimon decides by them), between markers in docs/*.md:
//
//   <!-- generated: NAME (npm run docs:tables) -->
//   ...
//   <!-- end generated: NAME -->
//
// `npm run docs:tables` rewrites them; `npm run docs:tables -- --check` exits 1 when a doc differs.
// The unit test src/cli/docs-tables.test.ts fails when a doc drifts from the code.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { format, resolveConfig } from "prettier";
import { OUTCOME_CLASSES, OUTCOMES, type Outcome, type OutcomeKind } from "../src/core/outcome.js";
import { CADENCE, describeCadence } from "../src/crawl/cadence.js";
import { HTTPS_PROBE_AFTER, type HttpsProbeDecision } from "../src/https/cadence.js";
import { NET_OUTCOMES, type NetOutcomeRule } from "../src/net/errors.js";

/** The command that regenerates the tables (named by the check when a doc drifts). */
export const REGENERATE = "npm run docs:tables";

/** One generated table: the doc it lives in, its marker name, and its Markdown. */
export interface GeneratedTable {
  doc: string;
  name: string;
  render: () => string;
}

const code = (s: string) => `\`${s}\``;
const codes = (list: readonly string[]) => list.map(code).join(", ");

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The outcome classes with the given value in a table, in the closed list's order. */
function classesWhere<V>(decisions: Readonly<Record<Outcome, V>>, value: V): Outcome[] {
  return OUTCOMES.filter((o) => decisions[o] === value);
}

const KIND_TEXT: Readonly<Record<OutcomeKind, string>> = {
  success: "success",
  retryable: "retryable: backed off",
  throttled: "throttled: the server asks us to slow down (not a failure)",
  not_permitted: "not permitted: never retried soon",
  malformed: "malformed: the server answered nonsense",
  fatal: "fatal: a name we will not contact",
};

function outcomeKinds(): string {
  const kinds = Object.keys(KIND_TEXT) as OutcomeKind[];
  const kindOf = Object.fromEntries(OUTCOMES.map((o) => [o, OUTCOME_CLASSES[o].kind])) as Record<
    Outcome,
    OutcomeKind
  >;
  return table(
    ["kind", "classes"],
    kinds.map((k) => [KIND_TEXT[k], codes(classesWhere(kindOf, k))]),
  );
}

function outcomeCadence(): string {
  const rows = OUTCOMES.map((o, i) => {
    const rule = CADENCE[o];
    const first =
      rule.rule === "never" ? undefined : OUTCOMES.slice(0, i).find((earlier) => CADENCE[earlier] === rule);
    return [code(o), OUTCOME_CLASSES[o].meaning, first ? `as ${code(first)}` : describeCadence(rule)];
  });
  return table(["class", "meaning", "next check"], rows);
}

const ROBOTS_TEXT: Readonly<Record<NetOutcomeRule["robotsFailure"], string>> = {
  cache: "unreachable, cached 10 min",
  ask_again: "unreachable, not cached",
  allow_all: "allow all",
};

function netOutcomes(): string {
  const raised = OUTCOMES.filter((o): o is Exclude<Outcome, "ok"> => o !== "ok");
  const rows = raised
    .filter((o) => NET_OUTCOMES[o].causes.length > 0)
    .map((o) => {
      const rule = NET_OUTCOMES[o];
      return [code(o), rule.causes.join("; "), rule.deadHost ? "yes" : "no", ROBOTS_TEXT[rule.robotsFailure]];
    });
  const above = raised.filter((o) => NET_OUTCOMES[o].causes.length === 0);
  return (
    table(["outcome", "what happened", "dead-host memory", "robots.txt failing so"], rows) +
    `\n\nNever raised by \`net/\` (the crawler decides them from the answer or before asking): ${codes(above)}.`
  );
}

const PROBE_TEXT: Readonly<Record<HttpsProbeDecision, string>> = {
  never: "never (asked not to be probed, deny-listed, or not ours to contact)",
  not_now: "not after this poll (it reached nothing, or was asked to slow down)",
  yes: "yes (TLS and certificate failures included: they are what the probe grades)",
};

function httpsProbeAfter(): string {
  const decisions = Object.keys(PROBE_TEXT) as HttpsProbeDecision[];
  return table(
    ["daily probe", "after a poll that ended with"],
    decisions.map((d) => [PROBE_TEXT[d], codes(classesWhere(HTTPS_PROBE_AFTER, d))]),
  );
}

/** Every generated table. */
export const TABLES: readonly GeneratedTable[] = [
  { doc: "docs/architecture.md", name: "outcome-kinds", render: outcomeKinds },
  { doc: "docs/crawl.md", name: "outcome-cadence", render: outcomeCadence },
  { doc: "docs/net.md", name: "net-outcomes", render: netOutcomes },
  { doc: "docs/https.md", name: "https-probe-after", render: httpsProbeAfter },
];

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * A doc's text with its generated tables written in (and formatted as prettier formats the doc).
 * Throws when a doc lacks a table's markers.
 */
export async function generatedText(doc: string, text: string): Promise<string> {
  let out = text;
  for (const t of TABLES.filter((x) => x.doc === doc)) {
    const open = `<!-- generated: ${t.name} (${REGENERATE}) -->`;
    const close = `<!-- end generated: ${t.name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`${doc}: the markers of table ${t.name} are missing`);
    out = `${out.slice(0, start + open.length)}\n\n${t.render()}\n\n${out.slice(end)}`;
  }
  const options = (await resolveConfig(`${ROOT}${doc}`)) ?? {};
  return format(out, { ...options, filepath: `${ROOT}${doc}` });
}

/** The docs holding generated tables, each with its text now and as generated. */
export async function docsTables(): Promise<{ doc: string; current: string; expected: string }[]> {
  const docs = [...new Set(TABLES.map((t) => t.doc))];
  return Promise.all(
    docs.map(async (doc) => {
      const current = readFileSync(`${ROOT}${doc}`, "utf8");
      return { doc, current, expected: await generatedText(doc, current) };
    }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const { doc, current, expected } of await docsTables()) {
    if (current === expected) continue;
    stale++;
    if (check) console.error(`${doc} is out of date: run ${REGENERATE}`);
    else {
      writeFileSync(`${ROOT}${doc}`, expected);
      console.log(`wrote ${doc}`);
    }
  }
  if (check && stale > 0) process.exit(1);
}
