#!/bin/sh
# Stand-in base images for a Docker host that cannot pull from Docker Hub (docs/deploy.md, "Where
# Docker Hub is unreachable"). Needs root, a running Docker engine, debootstrap, a Debian package
# mirror (debootstrap's default, or DEBIAN_MIRROR), and Node 20 installed on this machine (its
# files go into the Node image).
#
#   sh deploy/local-base-images.sh [work-folder]
#
# Makes three local images, none pulled from anywhere:
#   fedimon-base/debian:bookworm    a minimal Debian bookworm root filesystem (debootstrap, imported)
#   fedimon-base/node:20-bookworm   that, with this machine's `node`, `npm` and `npx` and the user
#                                   `node` (uid 1000), as the official Node image has
#   fedimon-base/postgres:15-bookworm  that, with Debian's postgresql-15 and an entrypoint that reads
#                                   POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB on first start
#                                   as the official PostgreSQL image does
# Then build fedimon on them:
#   docker build --network host --build-arg NODE_IMAGE=fedimon-base/node:20-bookworm \
#     -f deploy/Dockerfile -t fedimon:local .
# and give compose POSTGRES_IMAGE=fedimon-base/postgres:15-bookworm.
set -eu

work=${1:-/var/tmp/fedimon-base-images}
node_bin=$(command -v node)
node_prefix=$(dirname "$(dirname "$node_bin")")
case "$("$node_bin" --version)" in
  v20.*) ;;
  *) echo "local-base-images: needs Node 20 on this machine, found $("$node_bin" --version)" >&2; exit 1 ;;
esac
mkdir -p "$work"

# 1. Debian bookworm, minimal, imported as an image.
if ! docker image inspect fedimon-base/debian:bookworm >/dev/null 2>&1; then
  rootfs="$work/rootfs"
  [ -x "$rootfs/bin/sh" ] || debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" ${DEBIAN_MIRROR:-}
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - fedimon-base/debian:bookworm
fi

# 2. Node: this machine's binaries and npm, and the unprivileged user the Dockerfile runs as.
# The CA bundle this machine trusts goes along, so that `npm ci` in a build reaches the registry
# the way this machine does (through a TLS-inspecting proxy, where there is one).
ctx="$work/node"
rm -rf "$ctx" && mkdir -p "$ctx"
tar -C "$node_prefix" -cf "$ctx/node.tar" bin/node bin/npm bin/npx lib/node_modules/npm
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
cat >"$ctx/Dockerfile" <<'EOF'
FROM fedimon-base/debian:bookworm
ADD node.tar /usr/local/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
EOF
docker build -q -t fedimon-base/node:20-bookworm "$ctx"

# 3. PostgreSQL 15 from Debian's packages.
ctx="$work/postgres"
rm -rf "$ctx" && mkdir -p "$ctx"
cat >"$ctx/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# First start: a cluster owned by POSTGRES_USER (password POSTGRES_PASSWORD, scram-sha-256 over
# TCP) with the database POSTGRES_DB. Later starts: the cluster as it is.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" >"$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  db=${POSTGRES_DB:-$user}
  if [ "$db" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
    pg_ctl -D "$PGDATA" -m fast -w stop
  fi
fi
exec "$@"
EOF
cat >"$ctx/Dockerfile" <<'EOF'
FROM fedimon-base/debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15 \
 && mkdir -p /var/lib/postgresql/data && chown postgres:postgres /var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
EOF
docker build -q --network host -t fedimon-base/postgres:15-bookworm "$ctx"

docker image ls --filter "reference=fedimon-base/*"
