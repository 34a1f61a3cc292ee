// Copies the non-TypeScript files the program reads at run time (SQL migrations, the embedded
// store's template, the simulation's test CA, its templates and captured fixtures) next to the
// compiled JavaScript in dist/.
import { cpSync, existsSync } from "node:fs";

for (const dir of ["src/db/migrations", "src/db/template", "sim/tls", "sim/templates", "sim/fixtures"]) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (f) => !f.endsWith(".ts") });
}
