/**
 * `npm run docs:config`: writes the flag tables of docs/configuration.md from the field table
 * (src/config/fields.ts) and the command flags (src/cli/options.ts), formatted as prettier would.
 * `src/cli/options.test.ts` fails when the file and the tables differ.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { configurationDocTables, DOC_FILE, withTables } from "../src/cli/options-doc.js";

const file = join(fileURLToPath(new URL("..", import.meta.url)), DOC_FILE);
const before = readFileSync(file, "utf8");
const after = await format(withTables(before, configurationDocTables()), {
  ...(await resolveConfig(file)),
  filepath: file,
});
if (after === before) console.log(`${DOC_FILE}: up to date`);
else {
  writeFileSync(file, after);
  console.log(`${DOC_FILE}: flag tables written`);
}
