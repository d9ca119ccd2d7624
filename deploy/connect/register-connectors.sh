#!/bin/sh
# Registers (or updates) Tally's two sinks on the Connect cluster from connectors/config/compose/.
set -eu
url="${CONNECT_URL:-http://connect:8083}"
until curl -fsS "$url/connectors" >/dev/null; do echo "waiting for $url"; sleep 2; done
for name in redis-sink influxdb-sink; do
  curl -fsS -X PUT -H 'Content-Type: application/json' \
    --data "@/connectors/$name.json" "$url/connectors/tally-$name/config"
  echo
done
