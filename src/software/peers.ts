import { isRecord } from "./fields.js";
import { fail, ok, type ParseResult } from "./parse-result.js";

/** Most peers kept from one list (real lists reach ~100k; this bounds memory, not truth). */
export const MAX_PEERS = 1_000_000;

/** A peers list as read: raw names (normalising them is domains/'s job) and what was not a name. */
export interface PeersData {
  /** Peer names as sent, trimmed, in order, at most {@link MAX_PEERS}. */
  entries: string[];
  /** Items that were neither a string nor a `{ domain }` object (numbers, nulls, nested lists). */
  nonStrings: number;
  /** GoToSocial `filter=…` objects that describe a block (`suspended_at`/`severity`), not a peer. */
  blocked: number;
  /** Peer names in the list as sent (the server's connection count), even when entries were capped. */
  total: number;
}

/**
 * Reads `GET /api/v1/instance/peers`: a JSON array of domain strings. Also reads GoToSocial's
 * object form (`[{ "domain": "x" }, { "domain": "y", "suspended_at": …, "severity": "suspend" }]`)
 * keeping open peers and counting blocked ones. An error object (`{"error": "Unauthorized…"}`) or
 * any non-list is a failure. Empty strings count as non-strings. Never throws.
 */
export function parsePeers(json: unknown): ParseResult<PeersData> {
  if (!Array.isArray(json)) {
    const error =
      isRecord(json) && typeof json["error"] === "string" ? `: ${json["error"].slice(0, 200)}` : "";
    return fail(`peers is not a list${error}`);
  }
  const warnings: string[] = [];
  const entries: string[] = [];
  let nonStrings = 0;
  let blocked = 0;
  let total = 0;
  for (const item of json) {
    let name: string | null = null;
    if (typeof item === "string") name = item;
    else if (isRecord(item) && typeof item["domain"] === "string") {
      if (item["suspended_at"] != null || item["severity"] != null) {
        blocked++;
        continue;
      }
      name = item["domain"];
    }
    const t = name?.trim() ?? "";
    if (t === "") {
      nonStrings++;
      continue;
    }
    total++;
    if (entries.length < MAX_PEERS) entries.push(t);
  }
  if (total > MAX_PEERS) warnings.push(`only the first ${MAX_PEERS} peers were kept`);
  if (nonStrings > 0) warnings.push(`${nonStrings} entries were not domain names`);
  return ok({ entries, nonStrings, blocked, total }, warnings);
}
