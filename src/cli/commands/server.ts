import { Command } from "commander";
import { addCommonOptions, type CommonFlags, configFromFlags } from "../common.js";
import { openDb } from "../../store/index.js";
import { serverView } from "../server-view.js";

/** `fedimon server DOMAIN [--json]`: what the store knows of one server. */
export function serverCommand(): Command {
  const cmd = new Command("server")
    .description("Show what the store knows of one server (null for what is unknown)")
    .argument("<domain>", "the server's domain")
    .option("--json", "print JSON (the default is a short text view)");
  addCommonOptions(cmd).action(async (domain: string, flags: CommonFlags & { json?: boolean }) => {
    const config = configFromFlags(flags);
    const db = await openDb(config.db);
    try {
      const view = await serverView(db, domain.trim().toLowerCase().replace(/\.$/, ""));
      if (!view) {
        console.error(`fedimon: no server ${domain} in the store`);
        process.exitCode = 3;
        return;
      }
      if (flags.json) console.log(JSON.stringify(view, null, 2));
      else console.log(formatServerText(view));
    } finally {
      await db.close();
    }
  });
  return cmd;
}

function formatServerText(v: Record<string, unknown>): string {
  const sw = v.software as { name: string | null; version: string | null; fork: string | null };
  const users = v.users as { total: number | null; activeMonth: number | null };
  const show = (x: unknown): string => (x === null || x === undefined ? "unknown" : String(x));
  return [
    `${String(v.domain)}  outcome ${show(v.outcome)}${v.outcomeDetail ? ` (${String(v.outcomeDetail)})` : ""}`,
    `software ${show(sw.name)} ${show(sw.version)}${sw.fork ? ` fork ${sw.fork}` : ""}`,
    `users ${show(users.total)}  monthly active ${show(users.activeMonth)}  posts ${show(v.posts)}  peers ${show(v.peersCount)}`,
    `country ${show(v.country)} (${show(v.countrySource)})  last seen up ${show(v.lastSeenUpAt)}`,
  ].join("\n");
}
