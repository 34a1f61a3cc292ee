import type { ConcentrationReport } from "../concentration.js";
import type { Db } from "../../db/db.js";
import { isoDay } from "./history.js";

/** Stores one day's concentration measures (replacing a previous run). */
export async function writeConcentration(db: Db, day: Date, c: ConcentrationReport): Promise<void> {
  await db.query(
    `INSERT INTO concentration_daily (day, servers, users, top1_share, top5_share, top10_share, hhi_servers,
       hhi_countries, hhi_networks, gini_users, gini_servers_by_country, gini_servers_by_network,
       country_known_share, network_known_share)
     VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (day) DO UPDATE SET servers = EXCLUDED.servers, users = EXCLUDED.users,
       top1_share = EXCLUDED.top1_share, top5_share = EXCLUDED.top5_share, top10_share = EXCLUDED.top10_share,
       hhi_servers = EXCLUDED.hhi_servers, hhi_countries = EXCLUDED.hhi_countries,
       hhi_networks = EXCLUDED.hhi_networks, gini_users = EXCLUDED.gini_users,
       gini_servers_by_country = EXCLUDED.gini_servers_by_country,
       gini_servers_by_network = EXCLUDED.gini_servers_by_network,
       country_known_share = EXCLUDED.country_known_share, network_known_share = EXCLUDED.network_known_share`,
    [
      isoDay(day),
      c.servers,
      c.users,
      c.top1Share,
      c.top5Share,
      c.top10Share,
      c.hhiServers,
      c.hhiCountries,
      c.hhiNetworks,
      c.giniUsers,
      c.giniServersByCountry,
      c.giniServersByNetwork,
      c.countryKnownShare,
      c.networkKnownShare,
    ],
  );
}

/** Concentration measures per day between two days (inclusive), oldest first. */
export async function concentrationSeries(
  db: Db,
  from: Date,
  to: Date,
): Promise<(ConcentrationReport & { day: string })[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT c.day::text AS day_text, c.* FROM concentration_daily c WHERE c.day >= $1::date AND c.day <= $2::date
     ORDER BY c.day`,
    [isoDay(from), isoDay(to)],
  );
  return rows.map((r) => ({
    day: r.day_text as string,
    servers: Number(r.servers),
    users: Number(r.users),
    top1Share: Number(r.top1_share),
    top5Share: Number(r.top5_share),
    top10Share: Number(r.top10_share),
    hhiServers: Number(r.hhi_servers),
    hhiCountries: Number(r.hhi_countries),
    hhiNetworks: Number(r.hhi_networks),
    giniUsers: Number(r.gini_users),
    giniServersByCountry: Number(r.gini_servers_by_country),
    giniServersByNetwork: Number(r.gini_servers_by_network),
    countryKnownShare: Number(r.country_known_share),
    networkKnownShare: Number(r.network_known_share),
  }));
}
