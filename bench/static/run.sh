#!/usr/bin/env bash
# npm run bench:static — static file throughput through the plugin (documentRoot, send) against a
# bare `send` server, same file, same run: wrk -t1 -c32, 3 rounds of 5 s each, alternating; prints
# the medians and their ratio. Then the route-only reload time (bench/static/reload-time.mjs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
work="$(mktemp -d)"; trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/public"
head -c 16384 /dev/urandom > "$work/public/file.bin"
cat > "$work/proxy.json" <<JSON
{ "proxy": { "port": 18231, "host": "127.0.0.1" },
  "plugins": { "scriptalias": { "virtualHosts": [ { "serverName": "127.0.0.1", "documentRoot": "public" } ] } } }
JSON
node "$ROOT/bench/static/send-server.mjs" 18230 "$work/public" & 
node "$ROOT/dist/plugin/cli.js" serve "$work/proxy.json" --no-watch --log-level warn &
for port in 18230 18231; do for i in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/file.bin" && break; sleep 0.1; done; done
rps() { wrk -t1 -c32 -d5s "http://127.0.0.1:$1/file.bin" | awk '/Requests\/sec/ {print $2}'; }
ref=(); ours=()
for round in 1 2 3; do ref+=("$(rps 18230)"); ours+=("$(rps 18231)"); done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
r=$(median "${ref[@]}"); o=$(median "${ours[@]}")
echo "static 16 KiB file, wrk -t1 -c32 -d5s x3 (median): bare send ${r} req/s, plugin documentRoot ${o} req/s, ratio $(python3 -c "print(round($o/$r, 2))")"
node "$ROOT/bench/static/reload-time.mjs"
