-- Where servers are and how well they run HTTPS. Separate tables keyed by domain, so the
-- crawler's `servers` row stays the crawler's; a server's rows go when the server goes.

-- The latest location of each server (refreshed by the daily probe).
CREATE TABLE server_geo (
  domain TEXT PRIMARY KEY REFERENCES servers (domain) ON DELETE CASCADE,
  -- The address the crawl connected to (public DNS data, kept to explain the country).
  address TEXT,
  country TEXT CHECK (country ~ '^[A-Z]{2}$'),
  country_source TEXT NOT NULL CHECK (country_source IN ('tld', 'ip', 'unknown')),
  -- The CDN or reverse proxy in front ('cloudflare', 'fastly', ...), or NULL.
  behind_cdn TEXT,
  asn BIGINT CHECK (asn > 0 AND asn <= 4294967295),
  as_org TEXT,
  provider TEXT,
  -- NULL: not probed yet or unknown.
  has_aaaa BOOLEAN,
  ipv6_reachable BOOLEAN,
  located_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX server_geo_country_idx ON server_geo (country);
CREATE INDEX server_geo_provider_idx ON server_geo (provider);

-- The latest HTTPS probe of each server: score, grade, every deduction, and the facts behind them.
CREATE TABLE server_https (
  domain TEXT PRIMARY KEY REFERENCES servers (domain) ON DELETE CASCADE,
  probed_at TIMESTAMPTZ NOT NULL,
  score SMALLINT NOT NULL CHECK (score BETWEEN 0 AND 100),
  grade TEXT NOT NULL CHECK (grade IN ('A+', 'A', 'B', 'C', 'D', 'E', 'F')),
  -- [{ "code", "points", "reason" }, ...] in rubric order (docs/https.md).
  deductions JSONB NOT NULL,
  tls13 BOOLEAN,
  tls12 BOOLEAN,
  tls11 BOOLEAN,
  tls10 BOOLEAN,
  cert_valid_to TIMESTAMPTZ,
  cert_days_to_expiry INT,
  hsts_max_age_secs BIGINT,
  http_redirect TEXT CHECK (http_redirect IN ('to_https', 'to_http', 'none', 'no_http', 'unknown')),
  -- The whole probe (versions, certificate, HSTS, headers) for the server page's explanation.
  facts JSONB NOT NULL
);
CREATE INDEX server_https_grade_idx ON server_https (grade);
