# redbird-scriptalias, workloads/app.js in a named process group of ONE warm Node worker x 32 slots
# (as many as wrk has connections, so no request waits in the proxy queue),
# preloaded: the pool path at its smallest (issue: >= 0.50x bare node on hello).
ORDER=208
DEFAULT=0
DESCRIPTION="redbird-scriptalias process group 1x32 (node), app.js"
PORT=18224
URL="http://127.0.0.1:$PORT/app"
source "$(dirname "${BASH_SOURCE[0]}")/_scriptalias.sh"
start() { scriptalias_start pool-js1; }
