# redbird-scriptalias with proxy.cluster: 1 (a primary + 1 proxy processes sharing the port), app.js
# inline (%{GLOBAL}/%{GLOBAL}) in each proxy process. Compare with node-cluster (2 bare workers).
ORDER=251
DEFAULT=0
DESCRIPTION="redbird-scriptalias cluster: 1, inline (%{GLOBAL}/%{GLOBAL}), app.js"
PORT=18240
URL="http://127.0.0.1:$PORT/app"
source "$(dirname "${BASH_SOURCE[0]}")/_scriptalias.sh"
start() { scriptalias_start cluster1-inline; }
