# A floor, not a product: the least a Node proxy with a hop to one worker process can do
# (bench/floors/floor-proxy.mjs: binary frames over a Unix socket, a worker with no HTTP objects, no
# routing, limits, job or flow control). scriptalias-pool-js1 can only be slower; issue 16's "JS pool
# at nginx-node's level" is measured against it in the same run (bench/README.md).
ORDER=300
DEFAULT=0
DESCRIPTION="floor: Node http server -> framed hop -> 1 worker process (no routing, no HTTP in the worker)"
PORT=18250
URL="http://127.0.0.1:$PORT"
start() { spawn floor node "$SCRIPTALIAS_DIR/bench/floors/floor-proxy.mjs" "$PORT" process "$WORKLOAD_DIR"; }
