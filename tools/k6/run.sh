#!/usr/bin/env bash
# Start `pulseshop serve` on a spare port, wait until it is ready, run a k6 scenario
# against it, stop the service. Exits with k6's status (thresholds failed: non-zero).
set -euo pipefail
scenario=${1:?usage: run.sh SCENARIO.js}
port=${LOAD_PORT:-8089}
base="http://127.0.0.1:${port}"

mkdir -p var
pulseshop serve --port "$port" >var/load-service.log 2>&1 &
service=$!
trap 'kill -TERM "$service" 2>/dev/null || true; wait "$service" 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  if ! kill -0 "$service" 2>/dev/null; then
    echo "the service exited before it was ready; see var/load-service.log" >&2
    exit 1
  fi
  if curl -fsS "$base/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null || { echo "not ready after 60 s" >&2; exit 1; }

k6 version
k6 run -e BASE_URL="$base" "$scenario"
