# redbird-scriptalias with proxy.cluster: 1: 1 proxy processes dispatching to ONE shared process
# group of 1 Node worker x 32 slots (owned by the primary; slots leased across the proxies).
ORDER=256
DEFAULT=0
DESCRIPTION="redbird-scriptalias cluster: 1, process group 1x32 (node), app.js"
PORT=18241
URL="http://127.0.0.1:$PORT/app"
source "$(dirname "${BASH_SOURCE[0]}")/_scriptalias.sh"
start() { scriptalias_start cluster1-pool-js1; }
