# redbird-scriptalias, workloads/app.js in the global process group + a named application group:
# one worker thread inside the proxy process (the isolate path).
ORDER=205
DEFAULT=0
DESCRIPTION="redbird-scriptalias isolate (%{GLOBAL}/bench), app.js"
PORT=18223
URL="http://127.0.0.1:$PORT/app"
source "$(dirname "${BASH_SOURCE[0]}")/_scriptalias.sh"
start() { scriptalias_start isolate; }
