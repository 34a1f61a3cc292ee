/**
 * Debian's Chromium (`apt-get install chromium`; never a browser download) driven by
 * playwright-core, and a fresh build of the dashboard, for the browser tests and the web benchmark.
 */
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { build } from "vite";

/** Where Chromium is (CHROMIUM_PATH overrides Debian's /usr/bin/chromium). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Launches Chromium headless with a fresh profile and HOME inside `dir`, and none of its own
 * network services (sync, component updates, background fetches, QUIC).
 */
export async function launchChromium(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    env: { ...process.env, HOME: dir },
    viewport: { width: 1280, height: 900 },
  });
}

/** Builds web/ into `outDir` (the same build `npm run build` makes into dist/web/). */
export async function buildWeb(outDir: string): Promise<void> {
  await build({ configFile: "web/vite.config.ts", logLevel: "warn", build: { outDir, emptyOutDir: true } });
}
