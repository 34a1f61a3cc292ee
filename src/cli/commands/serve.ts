import { Command } from "commander";
import { cliLogger } from "../terminal.js";
import { type ApiFlags, apiOptionsFromFlags, botFromFlags } from "../api-flags.js";
import { type CommonFlags, configFromFlags } from "../common.js";
import { composeExport, composeImport, composeServe } from "../compose/api.js";
import { addCommandOptions } from "../options.js";

/** `fedimon serve`: the public JSON API, OpenAPI document, dumps, feed and the dashboard. */
export function serveCommand(): Command {
  const cmd = new Command("serve").description(
    "Serve the public API (/api/v1, /api/openapi.json, /api/docs), /dumps/, /feed.atom, /healthz and /metrics",
  );
  addCommandOptions(cmd, "serve").action(async (flags: CommonFlags & ApiFlags & { workerId?: string }) => {
    const config = configFromFlags(flags);
    await composeServe({
      config,
      ...(flags.workerId !== undefined ? { workerId: flags.workerId } : {}),
      logger: cliLogger(config),
      api: apiOptionsFromFlags(flags),
      bot: botFromFlags(flags, config),
    });
  });
  return cmd;
}

/** `fedimon export DIR`: write one open-data dump set (CSV, JSON Lines, Parquet, manifest). */
export function exportCommand(): Command {
  const cmd = new Command("export")
    .description(
      "Write open-data dumps (servers, daily history, rollups, hashtags) as CSV, JSON Lines and Parquet",
    )
    .argument("<dir>", "output folder");
  addCommandOptions(cmd, "export");
  cmd.action(async (dir: string, flags: CommonFlags & { publicUrl?: string }) => {
    const config = configFromFlags(flags);
    const result = await composeExport({
      config,
      logger: cliLogger(config),
      outDir: dir,
      publicUrl: flags.publicUrl ?? null,
    });
    console.log(JSON.stringify(result));
  });
  return cmd;
}

/** `fedimon import DUMP_DIR_OR_URL`: seed a fresh store from another fedimon's dumps. */
export function importCommand(): Command {
  const cmd = new Command("import")
    .description(
      "Seed this store from another fedimon's dumps (a folder or a /dumps/ URL); checksums verified",
    )
    .argument("<source>", "dump folder or URL");
  addCommandOptions(cmd, "import");
  cmd.action(async (source: string, flags: CommonFlags & { merge?: boolean }) => {
    const config = configFromFlags(flags);
    const result = await composeImport({
      config,
      logger: cliLogger(config),
      source,
      merge: flags.merge === true,
    });
    console.log(JSON.stringify(result));
  });
  return cmd;
}
