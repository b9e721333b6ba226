"""Constants this worker shares with the TypeScript side. Each has a twin there, named in its comment;
test/unit/python-protocol.test.ts prints this module as JSON and compares, so neither drifts unseen."""

# src/protocol/http-bridge.ts MAX_HEAD_BYTES: the largest head either side of the hop reads.
MAX_HEAD_BYTES = 65536
# src/protocol/wsgi-head.ts PRIVATE_KEYS: environ entries of the request head the worker removes.
REQUEST_ID_KEY = 'scriptalias.request_id'
CHUNKED_KEY = 'scriptalias.chunked'
DROPPED_KEY = 'scriptalias.dropped'
# src/protocol/mux.ts STREAM_WINDOW and FrameType: the streams multiplexed over a realm's connections.
STREAM_WINDOW = 1024 * 1024
MUX_DATA = 1
MUX_END = 2
MUX_RESET = 3
MUX_WINDOW = 4
# src/script/load-script.ts STAT_INTERVAL_MS: a script file is stat'ed at most this often.
RELOAD_CHECK_MS = 100

# src/protocol/messages.ts: the control messages this worker receives and sends (the `type` values).
MSG_INIT = 'init'
MSG_ENSURE_APP_GROUP = 'ensure-app-group'
MSG_SHUTDOWN = 'shutdown'
MSG_READY = 'ready'
MSG_APP_GROUP_READY = 'app-group-ready'
MSG_APP_GROUP_FAILED = 'app-group-failed'
MSG_LOG = 'log'

# src/errors.ts: the codes this worker logs or answers with, and the HTTP status of those it answers.
ROUTE_NOT_FOUND = 'SA_ERR_ROUTE_NOT_FOUND'
SCRIPT_NO_CALLABLE = 'SA_ERR_SCRIPT_NO_CALLABLE'
SCRIPT_LOAD_FAILED = 'SA_ERR_SCRIPT_LOAD_FAILED'
SCRIPT_FAILED = 'SA_ERR_SCRIPT_FAILED'
WORKER_PROTOCOL = 'SA_ERR_WORKER_PROTOCOL'
WORKER_START_FAILED = 'SA_ERR_WORKER_START_FAILED'
PRELOAD_FAILED = 'SA_WRN_PRELOAD_FAILED'
WSGI_ERRORS = 'SA_EVT_WSGI_ERRORS'
HEADERS_DROPPED = 'SA_EVT_HEADERS_DROPPED'
STATUS = {ROUTE_NOT_FOUND: 404, SCRIPT_NO_CALLABLE: 404, SCRIPT_LOAD_FAILED: 500, SCRIPT_FAILED: 500}

# Node's http.STATUS_CODES for the answers this worker writes itself (src/http-error.ts uses those).
REASONS = {400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway'}
