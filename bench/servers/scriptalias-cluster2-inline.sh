# redbird-scriptalias with proxy.cluster: 2 (a primary + 2 proxy processes sharing the port), app.js
# inline (%{GLOBAL}/%{GLOBAL}) in each proxy process. Compare with node-cluster (2 bare workers).
ORDER=252
DEFAULT=0
DESCRIPTION="redbird-scriptalias cluster: 2, inline (%{GLOBAL}/%{GLOBAL}), app.js"
PORT=18242
URL="http://127.0.0.1:$PORT/app"
source "$(dirname "${BASH_SOURCE[0]}")/_scriptalias.sh"
start() { scriptalias_start cluster2-inline; }
