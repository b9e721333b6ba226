#!/usr/bin/env bash
# Refreshes the vendored conformance oracle (test/conformance/oracle/) from the shared one, so the
# suite needs nothing outside the repository. Usage: scripts/refresh-oracle.sh [SOURCE]
# SOURCE defaults to ../shared/conformance beside the repository. Exit 2 when it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${1:-$ROOT/../shared/conformance}"
SRC_NAME="${1:-../shared/conformance}"  # as the user named it, for VENDORED.md (no machine paths)
DEST="$ROOT/test/conformance/oracle"
# The files the harness and the test use; anything else in SOURCE (caches, notes) stays out.
FILES=(harness.py run_against.py record.py apache_serve.py reporter.js reporter.wsgi README.md)
DIRS=(scenarios recorded)

missing=()
[[ -d "$SRC" ]] || missing+=("$SRC")
for f in "${FILES[@]}" "${DIRS[@]}"; do
  if [[ -d "$SRC" && ! -e "$SRC/$f" ]]; then missing+=("$SRC/$f"); fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "refresh-oracle: source not found: ${missing[*]}" >&2
  echo "usage: scripts/refresh-oracle.sh [PATH/TO/shared/conformance] (default: ../shared/conformance)" >&2
  exit 2
fi
SRC="$(cd "$SRC" && pwd)"

mkdir -p "$DEST"
for f in "${FILES[@]}"; do
  # The shared copy is read-only; the vendored one must stay writable for the next refresh.
  install -m 0644 "$SRC/$f" "$DEST/$f"
done
for d in "${DIRS[@]}"; do
  # Mirror, so a scenario dropped upstream is dropped here too.
  rm -rf "${DEST:?}/$d"
  mkdir -p "$DEST/$d"
  for f in "$SRC/$d"/*; do
    if [[ -f "$f" ]]; then install -m 0644 "$f" "$DEST/$d/"; fi
  done
done
# One digest over the copied files, so VENDORED.md says exactly which oracle the ratchet was held to.
digest="$(cd "$DEST" && find "${FILES[@]}" "${DIRS[@]}" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
scenarios="$(find "$DEST/scenarios" -name '*.json' | wc -l)"
requests="$(python3 -c 'import json,sys; print(sum(len(json.load(open(p))["requests"]) for p in sys.argv[1:]))' "$DEST"/scenarios/*.json)"
cat > "$DEST/VENDORED.md" <<MD
# Vendored conformance oracle

A copy of the shared conformance oracle (\`shared/conformance\`, recorded from real Apache +
mod_wsgi), kept in the repository so \`npm test\` needs nothing beside the clone.
\`test/conformance/conformance.test.ts\` and \`scripts/update-ratchet.js\` read only this copy.

- Source: \`$SRC_NAME\`
- Refreshed: $(date -u +%Y-%m-%d)
- Content: $scenarios scenarios, $requests requests; sha256 over the files (sorted list, \`sha256sum\`
  of each, then of that list): \`$digest\`
- Files: \`scenarios/\`, \`recorded/\`, ${FILES[*]} (as in the source; nothing edited here)

## Refresh

\`\`\`sh
scripts/refresh-oracle.sh                       # from ../shared/conformance
scripts/refresh-oracle.sh /path/to/conformance  # from elsewhere
\`\`\`

It mirrors \`scenarios/\` and \`recorded/\` (a scenario dropped upstream goes here too), copies the
harness files, and rewrites this file. Exit 2 when the source is missing. Then run \`npm test\`:
a new scenario starts at ratchet 0 until \`node scripts/update-ratchet.js\` raises it; never
edit files here by hand (change the shared oracle and refresh).
MD
echo "refresh-oracle: copied $SRC -> test/conformance/oracle/ ($scenarios scenarios, $requests requests, sha256 $digest)"
echo "refresh-oracle: review with 'git diff --stat test/conformance/oracle', then run npm test"
