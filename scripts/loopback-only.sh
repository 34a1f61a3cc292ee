#!/bin/sh
# Runs a command inside a fresh network namespace that has only a loopback interface, so that
# nothing it does can send a packet off this machine, whatever addresses it is fed. Integration
# tests run this way (they bind 127.x.x.x:443 and feed the crawler private and public names).
set -e
exec unshare --map-root-user --net sh -c 'ip link set lo up 2>/dev/null || true; exec "$@"' sh "$@"
