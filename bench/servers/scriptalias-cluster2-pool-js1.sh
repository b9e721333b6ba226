# redbird-scriptalias with proxy.cluster: 2: 2 proxy processes dispatching to ONE shared process
# group of 1 Node worker x 32 slots (owned by the primary; slots leased across the proxies).
ORDER=257
DEFAULT=0
DESCRIPTION="redbird-scriptalias cluster: 2, process group 1x32 (node), app.js"
PORT=18243
URL="http://127.0.0.1:$PORT/app"
source "$(dirname "${BASH_SOURCE[0]}")/_scriptalias.sh"
start() { scriptalias_start cluster2-pool-js1; }
