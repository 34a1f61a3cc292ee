import type { CdnName, CountrySource, ServerGeo } from "../../geo/index.js";
import type { HttpsDeduction, HttpsGrade, HttpsProbe, HttpsScore, Ipv6Probe } from "../index.js";
import type { Db } from "../../db/db.js";

/**
 * Saves what the offline databases say about a server (and, when the daily probe ran, its IPv6
 * reachability: `ipv6` null keeps the stored IPv6 facts). The server's row must exist.
 */
export async function saveServerGeo(
  db: Db,
  geo: ServerGeo,
  ipv6: Ipv6Probe | null,
  locatedAt: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO server_geo (domain, address, country, country_source, behind_cdn, asn, as_org, provider,
                             has_aaaa, ipv6_reachable, located_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (domain) DO UPDATE SET
       address = EXCLUDED.address, country = EXCLUDED.country, country_source = EXCLUDED.country_source,
       behind_cdn = EXCLUDED.behind_cdn, asn = EXCLUDED.asn, as_org = EXCLUDED.as_org,
       provider = EXCLUDED.provider, located_at = EXCLUDED.located_at,
       has_aaaa = CASE WHEN $12 THEN EXCLUDED.has_aaaa ELSE server_geo.has_aaaa END,
       ipv6_reachable = CASE WHEN $12 THEN EXCLUDED.ipv6_reachable ELSE server_geo.ipv6_reachable END`,
    [
      geo.domain,
      geo.address,
      geo.country,
      geo.countrySource,
      geo.behindCdn,
      geo.network.asn,
      geo.network.org,
      geo.network.provider,
      ipv6?.hasAaaa ?? null,
      ipv6?.reachable ?? null,
      locatedAt,
      ipv6 !== null,
    ],
  );
}

/** Saves one HTTPS probe with its score: the latest replaces the previous. The server's row must exist. */
export async function saveHttpsResult(db: Db, probe: HttpsProbe, result: HttpsScore): Promise<void> {
  const offered = (s: string): boolean | null =>
    s === "offered" ? true : s === "not_offered" ? false : null;
  await db.query(
    `INSERT INTO server_https (domain, probed_at, score, grade, deductions, tls13, tls12, tls11, tls10,
                               cert_valid_to, cert_days_to_expiry, hsts_max_age_secs, http_redirect, facts)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb)
     ON CONFLICT (domain) DO UPDATE SET
       probed_at = EXCLUDED.probed_at, score = EXCLUDED.score, grade = EXCLUDED.grade,
       deductions = EXCLUDED.deductions, tls13 = EXCLUDED.tls13, tls12 = EXCLUDED.tls12,
       tls11 = EXCLUDED.tls11, tls10 = EXCLUDED.tls10, cert_valid_to = EXCLUDED.cert_valid_to,
       cert_days_to_expiry = EXCLUDED.cert_days_to_expiry, hsts_max_age_secs = EXCLUDED.hsts_max_age_secs,
       http_redirect = EXCLUDED.http_redirect, facts = EXCLUDED.facts`,
    [
      probe.domain,
      probe.probedAt,
      result.score,
      result.grade,
      JSON.stringify(result.deductions),
      offered(probe.versions.tls13),
      offered(probe.versions.tls12),
      offered(probe.versions.tls11),
      offered(probe.versions.tls10),
      probe.certificate && Number.isFinite(Date.parse(probe.certificate.validTo))
        ? new Date(probe.certificate.validTo)
        : null,
      probe.certificate?.daysToExpiry ?? null,
      probe.hsts?.maxAgeSecs ?? null,
      probe.httpRedirect,
      JSON.stringify(probe),
    ],
  );
}

/** When the server was last HTTPS-probed, or null (feeds `httpsProbeDue`). */
export async function getHttpsProbedAt(db: Db, domain: string): Promise<Date | null> {
  const rows = await db.query<{ probed_at: Date | string }>(
    "SELECT probed_at FROM server_https WHERE domain = $1",
    [domain],
  );
  const at = rows[0]?.probed_at;
  return at ? new Date(at) : null;
}

/** One server's location for {@link saveServerGeoBatch}: `ipv6` null keeps the stored IPv6 facts. */
export interface ServerGeoRow {
  geo: ServerGeo;
  ipv6: Ipv6Probe | null;
  locatedAt: Date;
}

/** One HTTPS probe with its score, for {@link saveHttpsResults}. */
export interface HttpsResultRow {
  probe: HttpsProbe;
  score: HttpsScore;
}

/** Keeps the last row per domain: one statement cannot update the same row twice. */
function lastPerDomain<T>(rows: readonly T[], domainOf: (r: T) => string): T[] {
  const byDomain = new Map<string, T>();
  for (const r of rows) byDomain.set(domainOf(r), r);
  return [...byDomain.values()];
}

/** The batch upsert of server_geo; `withIpv6` says whether the rows carry IPv6 facts to replace. */
function geoBatchSql(withIpv6: boolean): string {
  const ipv6 = withIpv6
    ? ",\n       has_aaaa = EXCLUDED.has_aaaa, ipv6_reachable = EXCLUDED.ipv6_reachable"
    : "";
  return `INSERT INTO server_geo (domain, address, country, country_source, behind_cdn, asn, as_org, provider,
                             has_aaaa, ipv6_reachable, located_at)
     SELECT v.domain, v.address, v.country, v.country_source, v.behind_cdn, v.asn, v.as_org, v.provider,
            v.has_aaaa, v.ipv6_reachable, v.located_at
       FROM jsonb_to_recordset($1::jsonb) AS v(domain text, address text, country text, country_source text,
              behind_cdn text, asn bigint, as_org text, provider text, has_aaaa boolean,
              ipv6_reachable boolean, located_at timestamptz)
       JOIN servers s ON s.domain = v.domain
     ON CONFLICT (domain) DO UPDATE SET
       address = EXCLUDED.address, country = EXCLUDED.country, country_source = EXCLUDED.country_source,
       behind_cdn = EXCLUDED.behind_cdn, asn = EXCLUDED.asn, as_org = EXCLUDED.as_org,
       provider = EXCLUDED.provider, located_at = EXCLUDED.located_at${ipv6}`;
}

/**
 * {@link saveServerGeo} for a batch (the crawler writes locations with each batch of polls): at
 * most two statements, whatever the batch size (rows with IPv6 facts and rows without). Rows for
 * domains the store does not know are skipped; of several rows for one domain the last wins.
 */
export async function saveServerGeoBatch(db: Db, rows: readonly ServerGeoRow[]): Promise<void> {
  const batch = lastPerDomain(rows, (r) => r.geo.domain);
  for (const withIpv6 of [false, true]) {
    const part = batch.filter((r) => (r.ipv6 !== null) === withIpv6);
    if (part.length === 0) continue;
    const json = part.map(({ geo, ipv6, locatedAt }) => ({
      domain: geo.domain,
      address: geo.address,
      country: geo.country,
      country_source: geo.countrySource,
      behind_cdn: geo.behindCdn,
      asn: geo.network.asn,
      as_org: geo.network.org,
      provider: geo.network.provider,
      has_aaaa: ipv6?.hasAaaa ?? null,
      ipv6_reachable: ipv6?.reachable ?? null,
      located_at: locatedAt.toISOString(),
    }));
    await db.query(geoBatchSql(withIpv6), [JSON.stringify(json)]);
  }
}

const offeredFlag = (s: string): boolean | null =>
  s === "offered" ? true : s === "not_offered" ? false : null;

/**
 * {@link saveHttpsResult} for a batch, in one statement. Rows for domains the store does not know
 * are skipped; of several rows for one domain the last wins.
 */
export async function saveHttpsResults(db: Db, rows: readonly HttpsResultRow[]): Promise<void> {
  const batch = lastPerDomain(rows, (r) => r.probe.domain);
  if (batch.length === 0) return;
  const json = batch.map(({ probe, score }) => ({
    domain: probe.domain,
    probed_at: probe.probedAt.toISOString(),
    score: score.score,
    grade: score.grade,
    deductions: score.deductions,
    tls13: offeredFlag(probe.versions.tls13),
    tls12: offeredFlag(probe.versions.tls12),
    tls11: offeredFlag(probe.versions.tls11),
    tls10: offeredFlag(probe.versions.tls10),
    cert_valid_to:
      probe.certificate && Number.isFinite(Date.parse(probe.certificate.validTo))
        ? new Date(probe.certificate.validTo).toISOString()
        : null,
    cert_days_to_expiry: probe.certificate?.daysToExpiry ?? null,
    hsts_max_age_secs: probe.hsts?.maxAgeSecs ?? null,
    http_redirect: probe.httpRedirect,
    facts: probe,
  }));
  await db.query(
    `INSERT INTO server_https (domain, probed_at, score, grade, deductions, tls13, tls12, tls11, tls10,
                               cert_valid_to, cert_days_to_expiry, hsts_max_age_secs, http_redirect, facts)
     SELECT v.domain, v.probed_at, v.score, v.grade, v.deductions, v.tls13, v.tls12, v.tls11, v.tls10,
            v.cert_valid_to, v.cert_days_to_expiry, v.hsts_max_age_secs, v.http_redirect, v.facts
       FROM jsonb_to_recordset($1::jsonb) AS v(domain text, probed_at timestamptz, score smallint,
              grade text, deductions jsonb, tls13 boolean, tls12 boolean, tls11 boolean, tls10 boolean,
              cert_valid_to timestamptz, cert_days_to_expiry int, hsts_max_age_secs bigint,
              http_redirect text, facts jsonb)
       JOIN servers s ON s.domain = v.domain
     ON CONFLICT (domain) DO UPDATE SET
       probed_at = EXCLUDED.probed_at, score = EXCLUDED.score, grade = EXCLUDED.grade,
       deductions = EXCLUDED.deductions, tls13 = EXCLUDED.tls13, tls12 = EXCLUDED.tls12,
       tls11 = EXCLUDED.tls11, tls10 = EXCLUDED.tls10, cert_valid_to = EXCLUDED.cert_valid_to,
       cert_days_to_expiry = EXCLUDED.cert_days_to_expiry, hsts_max_age_secs = EXCLUDED.hsts_max_age_secs,
       http_redirect = EXCLUDED.http_redirect, facts = EXCLUDED.facts`,
    [JSON.stringify(json)],
  );
}

/** When each of `domains` was last HTTPS-probed (absent: never), in one query (feeds `httpsProbeDue`). */
export async function getHttpsProbedAtMany(db: Db, domains: readonly string[]): Promise<Map<string, Date>> {
  if (domains.length === 0) return new Map();
  const rows = await db.query<{ domain: string; probed_at: Date | string }>(
    "SELECT domain, probed_at FROM server_https WHERE domain = ANY($1::text[])",
    [[...domains]],
  );
  return new Map(rows.map((r) => [r.domain, new Date(r.probed_at)]));
}

/** What the crawler writes with each batch of polls: locations and HTTPS results. */
export interface GeoHttpsBatch {
  geo: readonly ServerGeoRow[];
  https: readonly HttpsResultRow[];
}

/**
 * The geo/HTTPS tables as the crawler uses them (the contract it holds is `GeoHttpsSink` in
 * crawl/): one query for the HTTPS probe times of a claimed batch, at most three statements to
 * write a batch of results, in one transaction.
 */
export class GeoHttpsStore {
  constructor(private readonly db: Db) {}

  /** When each domain was last HTTPS-probed (absent: never). */
  httpsProbedAt(domains: readonly string[]): Promise<Map<string, Date>> {
    return getHttpsProbedAtMany(this.db, domains);
  }

  /** Writes a batch of locations and HTTPS results together. */
  async save(batch: GeoHttpsBatch): Promise<void> {
    if (batch.geo.length === 0 && batch.https.length === 0) return;
    await this.db.transaction(async (tx) => {
      await saveServerGeoBatch(tx, batch.geo);
      await saveHttpsResults(tx, batch.https);
    });
  }
}

/** One server's location, network, IPv6 and HTTPS grade, as `fedimon server DOMAIN --json` shows them. */
export interface GeoHttpsView {
  country: string | null;
  countrySource: CountrySource;
  behindCdn: CdnName | null;
  network: { asn: number | null; org: string | null; provider: string | null };
  ipv6: { hasAaaa: boolean | null; reachable: boolean | null };
  /** Null until the first HTTPS probe. */
  https: { score: number; grade: HttpsGrade; deductions: HttpsDeduction[]; probedAt: string } | null;
}

interface GeoHttpsRow {
  country: string | null;
  country_source: CountrySource | null;
  behind_cdn: CdnName | null;
  asn: number | string | null;
  as_org: string | null;
  provider: string | null;
  has_aaaa: boolean | null;
  ipv6_reachable: boolean | null;
  score: number | null;
  grade: HttpsGrade | null;
  deductions: HttpsDeduction[] | string | null;
  probed_at: Date | string | null;
}

/**
 * What the store knows of one server's location and HTTPS; every unknown part null (country
 * source `unknown`). Null only when the server itself is unknown.
 */
export async function getGeoHttps(db: Db, domain: string): Promise<GeoHttpsView | null> {
  const rows = await db.query<GeoHttpsRow>(
    `SELECT g.country, g.country_source, g.behind_cdn, g.asn, g.as_org, g.provider, g.has_aaaa,
            g.ipv6_reachable, h.score, h.grade, h.deductions, h.probed_at
       FROM servers s
       LEFT JOIN server_geo g ON g.domain = s.domain
       LEFT JOIN server_https h ON h.domain = s.domain
      WHERE s.domain = $1`,
    [domain],
  );
  const r = rows[0];
  if (!r) return null;
  const deductions =
    typeof r.deductions === "string" ? (JSON.parse(r.deductions) as HttpsDeduction[]) : r.deductions;
  return {
    country: r.country,
    countrySource: r.country_source ?? "unknown",
    behindCdn: r.behind_cdn,
    network: { asn: r.asn === null ? null : Number(r.asn), org: r.as_org, provider: r.provider },
    ipv6: { hasAaaa: r.has_aaaa, reachable: r.ipv6_reachable },
    https:
      r.score === null || r.grade === null || r.probed_at === null
        ? null
        : {
            score: r.score,
            grade: r.grade,
            deductions: deductions ?? [],
            probedAt: new Date(r.probed_at).toISOString(),
          },
  };
}
