# A floor, not a product: the least a Node proxy with a hop to one worker thread can do
# (bench/floors/floor-proxy.mjs: binary frames over a MessagePort, each batch transferred, a thread with
# no HTTP objects, no routing, limits, job or flow control). scriptalias-isolate can only be slower.
ORDER=301
DEFAULT=0
DESCRIPTION="floor: Node http server -> framed hop -> 1 worker thread (no routing, no HTTP in the thread)"
PORT=18251
URL="http://127.0.0.1:$PORT"
start() { spawn floor node "$SCRIPTALIAS_DIR/bench/floors/floor-proxy.mjs" "$PORT" thread "$WORKLOAD_DIR"; }
