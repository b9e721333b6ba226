#!/usr/bin/env bash
# Access-log cost: an inline hello script with the access log off and with the JSON access log on
# (to stdout, redirected to a file), same run, alternating rounds. Per round: req/s and the proxy's
# CPU time per request (utime+stime from /proc/<pid>/stat over the wrk run, divided by the requests
# wrk counted), which a machine shared with other jobs disturbs far less than req/s. Prints the
# median of each and the differences. Needs wrk and a build (npm run build).
# Usage: bash bench/access-log/run.sh [rounds=3] [seconds=5] [connections=32] [inline|pool]
# (pool: the same script in a named group of 1 process × 32 threads; the CPU figure is the proxy's.)
set -euo pipefail
ROUNDS=${1:-3}; SECONDS_EACH=${2:-5}; CONNS=${3:-32}; MODE=${4:-inline}; WRK_THREADS=${WRK_THREADS:-2}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLI="$ROOT/dist/plugin/cli.js"
TCK=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
DIR=$(mktemp -d); SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
cp "$ROOT/test/fixtures/access/hello.cjs" "$DIR/hello.cjs"
case "$MODE" in
  inline) GROUPS_JSON=''; GROUP='%%{GLOBAL}' ;;
  pool) GROUPS_JSON='"processGroups":{"bench":{"processes":1,"threads":32}},'; GROUP='bench' ;;
  *) echo "mode: inline or pool" >&2; exit 2 ;;
esac
config() { # $1 = accessLog JSON value
  printf '{"proxy":{"port":0,"host":"127.0.0.1"},"plugins":{"scriptalias":{"accessLog":%s,"scriptReloading":false,'"$GROUPS_JSON"'"scriptAlias":[{"url":"/hello","path":"hello.cjs","processGroup":"'"$GROUP"'","applicationGroup":"%%{GLOBAL}"}]}}}' "$1" > "$DIR/proxy.json"
}
cpu_ticks() { # utime + stime of $1 (fields 14 and 15; the command name in field 2 has no spaces here)
  awk '{print $14 + $15}' "/proc/$1/stat"
}
one() { # $1 = off|json → "req/s µs-per-request"
  if [ "$1" = off ]; then config false; else config '{"format":"json"}'; fi
  : > "$DIR/out.log"
  node "$CLI" serve "$DIR/proxy.json" --no-watch --log-format json > "$DIR/out.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do grep -q 'scriptalias listening' "$DIR/out.log" && break; sleep 0.1; done
  local url; url=$(grep -o '"url":"[^"]*' "$DIR/out.log" | head -1 | cut -d'"' -f4)
  wrk -t"$WRK_THREADS" -c"$CONNS" -d1s "$url/hello" > /dev/null   # warm-up
  local before after out
  before=$(cpu_ticks "$SERVER")
  out=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_EACH}s" "$url/hello")
  after=$(cpu_ticks "$SERVER")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  local rps reqs
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
  reqs=$(awk '/requests in/ {print $1}' <<< "$out")
  awk -v b="$before" -v a="$after" -v n="$reqs" -v t="$TCK" -v r="$rps" 'BEGIN { printf "%s %.2f\n", r, (a - b) / t / n * 1e6 }'
}
off=(); on=(); off_us=(); on_us=()
for r in $(seq "$ROUNDS"); do
  read -r rps us <<< "$(one off)"; off+=("$rps"); off_us+=("$us")
  read -r rps us <<< "$(one json)"; on+=("$rps"); on_us+=("$us")
  echo "round $r: off ${off[-1]} req/s ${off_us[-1]} µs/req, json on ${on[-1]} req/s ${on_us[-1]} µs/req" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
M_OFF=$(median "${off[@]}"); M_ON=$(median "${on[@]}")
U_OFF=$(median "${off_us[@]}"); U_ON=$(median "${on_us[@]}")
awk -v off="$M_OFF" -v on="$M_ON" 'BEGIN { printf "access log off: %.0f req/s, JSON on: %.0f req/s, difference %.1f %%\n", off, on, (on - off) / off * 100 }'
awk -v off="$U_OFF" -v on="$U_ON" 'BEGIN { printf "proxy CPU per request: off %.2f µs, JSON on %.2f µs, difference %+.1f %%\n", off, on, (on - off) / off * 100 }'
