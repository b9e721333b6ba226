#!/usr/bin/env bash
# npm run bench [-- bench.py options] [server...] [workload...]
# Runs the shared side-by-side harness (../shared/bench) on a scratch copy, with our extra server
# definitions, against this checkout (SCRIPTALIAS_DIR), then prints our req/s as ratios of bare node
# measured in the same run. Default: node, redbird-keepalive and our inline / isolate / pool paths on
# hello and big. Needs wrk (installed from Debian's packages when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
HARNESS="$ROOT/bench/.harness"

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
mkdir -p "$HARNESS"
# A scratch copy, so the shared folder is never written to (results, npm ci of its redbird).
(cd "$SHARED_BENCH" && tar --exclude=./results --exclude=./node_modules -cf - .) | (cd "$HARNESS" && tar -xf -)
cp "$ROOT"/bench/servers/*.sh "$HARNESS/servers/"
cp "$ROOT"/bench/conf/*.json.in "$HARNESS/conf/"
export SCRIPTALIAS_DIR="$ROOT"

args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
  args=(node redbird-keepalive scriptalias-inline scriptalias-isolate scriptalias-pool-js1 hello big)
fi
out="$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)"
python3 "$HARNESS/lib/bench.py" --out "$out" "${args[@]}"
python3 "$ROOT/bench/ratios.py" "$HARNESS/lib" "$out/raw.json" | tee "$out/ratios.md"
