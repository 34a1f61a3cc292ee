import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The dashboard is built ahead of time into dist/web/ and served by `fedimon serve` at `/`.
// The manifest tells the server (and the size budget check) what a build holds.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    manifest: true,
    target: "es2022",
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
});
