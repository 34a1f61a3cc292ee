// The dashboard's size budget: the JavaScript a first visit loads (the entry chunk and the chunks it
// imports statically, as Vite's manifest lists them) must stay under 200 KB gzipped. Pages loaded
// on demand (the map and its topology among them) are reported, not counted. Run after
// `npm run build:web`; exits 1 when over budget or when there is no build.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const dir = process.argv[2] ?? "dist/web";
const budget = Number(process.env.WEB_JS_BUDGET_BYTES ?? 200 * 1024);
const manifestPath = join(dir, ".vite", "manifest.json");
if (!existsSync(manifestPath)) {
  console.error(`web budget: no build at ${dir} (run npm run build:web)`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const gz = (file) => gzipSync(readFileSync(join(dir, file)), { level: 9 }).length;
const initial = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const k of chunk.imports ?? []) visit(k);
};
for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
let total = 0;
for (const f of initial) {
  const n = gz(f);
  total += n;
  console.log(`initial  ${f}  ${(n / 1024).toFixed(1)} KB gzipped`);
}
for (const chunk of Object.values(manifest)) {
  if (!initial.has(chunk.file) && chunk.file.endsWith(".js"))
    console.log(`on demand ${chunk.file}  ${(gz(chunk.file) / 1024).toFixed(1)} KB gzipped`);
}
const ok = total <= budget;
console.log(
  `web budget: initial JavaScript ${(total / 1024).toFixed(1)} KB gzipped of ${(budget / 1024).toFixed(0)} KB: ${ok ? "ok" : "OVER BUDGET"}`,
);
process.exit(ok ? 0 : 1);
