import { Command } from "commander";
import { type CommonFlags, configFromFlags } from "../common.js";
import { addCommandOptions } from "../options.js";
import { DataDirBusyError, type Db } from "../../db/index.js";
import { openStore } from "../compose.js";
import { serverView } from "../server-view.js";

/** `fedimon server DOMAIN [--json]`: what the store knows of one server. */
export function serverCommand(): Command {
  const cmd = new Command("server")
    .description("Show what the store knows of one server (null for what is unknown)")
    .argument("<domain>", "the server's domain");
  addCommandOptions(cmd, "server").action(async (domain: string, flags: CommonFlags & { json?: boolean }) => {
    const config = configFromFlags(flags);
    const name = domain.trim().toLowerCase().replace(/\.$/, "");
    let db: Db;
    try {
      db = await openStore(config.db);
    } catch (err) {
      // The data folder is held by a running instance: ask its API when it serves one.
      if (err instanceof DataDirBusyError && err.holder?.apiUrl) {
        await viewThroughApi(err.holder.apiUrl, name, flags.json === true);
        return;
      }
      throw err;
    }
    try {
      const view = await serverView(db, name);
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

/**
 * `fedimon server DOMAIN` answered by the running instance that holds the data folder, through its
 * public API (`/api/v1/servers/{domain}`: the public view, so hard- and soft-denied servers are
 * not shown). Said on stderr, so `--json` output stays one document.
 */
async function viewThroughApi(apiUrl: string, domain: string, json: boolean): Promise<void> {
  const url = `${apiUrl}/api/v1/servers/${encodeURIComponent(domain)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new Error(
      `the data folder is in use by a running instance whose API (${apiUrl}) does not answer: ${(err as Error).message}`,
    );
  }
  console.error(`fedimon: the data folder is in use by a running instance; answered by its API at ${apiUrl}`);
  if (res.status === 404) {
    console.error(`fedimon: no server ${domain} in the store`);
    process.exitCode = 3;
    return;
  }
  if (!res.ok) throw new Error(`the running instance's API answered ${res.status} for ${url}`);
  const view = (await res.json()) as Record<string, unknown>;
  if (json) {
    console.log(JSON.stringify(view, null, 2));
    return;
  }
  const sw = view.software as { name: string | null; version: string | null } | null;
  const users = view.users as { total: number | null; activeMonth: number | null };
  const show = (x: unknown): string => (x === null || x === undefined ? "unknown" : String(x));
  console.log(
    [
      `${String(view.domain)}  outcome ${show(view.outcome)}${view.outcomeDetail ? ` (${String(view.outcomeDetail)})` : ""}`,
      `software ${show(sw?.name)} ${show(sw?.version)}`,
      `users ${show(users.total)}  monthly active ${show(users.activeMonth)}  posts ${show(view.posts)}  peers ${show(view.peers)}`,
      `country ${show(view.country)} (${show(view.countrySource)})  last seen up ${show(view.lastSeenUpAt)}`,
    ].join("\n"),
  );
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
    ...(v.flags as { rule: string; reason: string; cleared: boolean }[]).map(
      (f) => `${f.cleared ? "cleared flag" : "flagged, left out of totals:"} ${f.rule}: ${f.reason}`,
    ),
  ].join("\n");
}
