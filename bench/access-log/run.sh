#!/usr/bin/env bash
# Access-log cost: req/s of an inline hello script with the access log off and with the default JSON
# access log on (pino to stdout, redirected to a file), same run, alternating rounds; prints the
# median of each and the difference. Needs wrk and a build (npm run build).
# Usage: bash bench/access-log/run.sh [rounds=3] [seconds=5] [connections=32]
set -euo pipefail
ROUNDS=${1:-3}; SECONDS_EACH=${2:-5}; CONNS=${3:-32}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLI="$ROOT/dist/plugin/cli.js"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
DIR=$(mktemp -d); SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
cp "$ROOT/test/fixtures/access/hello.cjs" "$DIR/hello.cjs"
config() { # $1 = accessLog JSON value
  printf '{"proxy":{"port":0,"host":"127.0.0.1"},"plugins":{"scriptalias":{"accessLog":%s,"scriptReloading":false,"scriptAlias":[{"url":"/hello","path":"hello.cjs","processGroup":"%%{GLOBAL}","applicationGroup":"%%{GLOBAL}"}]}}}' "$1" > "$DIR/proxy.json"
}
one() { # $1 = off|json → req/s
  if [ "$1" = off ]; then config false; else config '{"format":"json"}'; fi
  : > "$DIR/out.log"
  node "$CLI" serve "$DIR/proxy.json" --no-watch --log-format json > "$DIR/out.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do grep -q 'scriptalias listening' "$DIR/out.log" && break; sleep 0.1; done
  local url; url=$(grep -o '"url":"[^"]*' "$DIR/out.log" | head -1 | cut -d'"' -f4)
  wrk -t2 -c"$CONNS" -d1s "$url/hello" > /dev/null   # warm-up
  local rps; rps=$(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" "$url/hello" | awk '/Requests\/sec/ {print $2}')
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  echo "$rps"
}
off=(); on=()
for r in $(seq "$ROUNDS"); do
  off+=("$(one off)"); on+=("$(one json)")
  echo "round $r: off ${off[-1]} req/s, json on ${on[-1]} req/s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
M_OFF=$(median "${off[@]}"); M_ON=$(median "${on[@]}")
awk -v off="$M_OFF" -v on="$M_ON" 'BEGIN { printf "access log off: %.0f req/s, JSON on: %.0f req/s, difference %.1f %%\n", off, on, (on - off) / off * 100 }'
