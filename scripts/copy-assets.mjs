// Copies the non-TypeScript files the program reads at run time (SQL migrations, the embedded
// store's template, the simulation's test CA) next to the compiled JavaScript in dist/.
import { cpSync, existsSync } from "node:fs";

for (const dir of ["src/store/migrations", "src/store/template", "sim/tls", "sim/templates"]) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (f) => !f.endsWith(".ts") });
}
