# A floor, not a product: redbird's own server with workloads/app.js as its only request listener, no
# plugin code (bench/floors/floor-redbird.mjs). scriptalias-inline runs the same listener on the same
# server after the plugin's routing and request shaping, so it can only be slower.
ORDER=302
DEFAULT=0
DESCRIPTION="floor: redbird's server calling app.js directly (no plugin code)"
PORT=18252
URL="http://127.0.0.1:$PORT/app"
start() { spawn floor node "$SCRIPTALIAS_DIR/bench/floors/floor-redbird.mjs" "$PORT" "$WORKLOAD_DIR"; }
