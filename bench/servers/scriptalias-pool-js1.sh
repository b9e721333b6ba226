# redbird-scriptalias, workloads/app.js in a named process group of ONE warm Node worker x 16 slots,
# preloaded: the pool path at its smallest (issue: >= 0.50x bare node on hello).
ORDER=208
DEFAULT=0
DESCRIPTION="redbird-scriptalias process group 1x16 (node), app.js"
PORT=18224
URL="http://127.0.0.1:$PORT/app"
source "$(dirname "${BASH_SOURCE[0]}")/_scriptalias.sh"
start() { scriptalias_start pool-js1; }
