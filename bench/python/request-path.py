"""CPU per request of the Python worker's own path (head parse, job, script cache, environ, app.py
/hello, response) with no socket and no threads: N requests from one buffer, a connection that discards
what is sent; process_time, min of 7 runs. Robust on a busy machine, where wrk figures are not.

  python3 bench/python/request-path.py [FOLDER]   FOLDER holds wsgi_host (default: this checkout's);
                                                  an old single-file wsgi_host.py works too.
  python3 bench/python/request-path.py --head     the HTTP-text head part alone, and two binary forms
                                                  (run against a checkout from before the compact head)
"""
import io
import json
import os
import struct
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD_ONLY = '--head' in sys.argv
FOLDER = next((a for a in sys.argv[1:] if a != '--head'), os.path.join(ROOT, 'src', 'worker', 'python'))
sys.path.insert(0, FOLDER)
import wsgi_host  # noqa: E402

APP = os.path.join(ROOT, '..', 'shared', 'bench', 'workloads', 'app.py')
JOB = {'script': os.path.abspath(APP), 'callable': 'application', 'scriptName': '/app', 'pathInfo': '/hello',
       'url': '/hello', 'queryString': '', 'processGroup': 'bench', 'applicationGroup': '', 'multiprocess': True,
       'multithread': True, 'runOnce': False, 'passAuthorization': False, 'reloading': True, 'reqId': 'a1b2c3d4-0001',
       'remoteAddr': '127.0.0.1', 'remotePort': 45678, 'serverName': '127.0.0.1', 'serverPort': 18222, 'urlScheme': 'http',
       'encrypted': False, 'peerAddr': '127.0.0.1', 'localPort': 18222, 'httpVersion': '1.1'}
HEAD = ('GET /app/hello HTTP/1.1\r\nHost: 127.0.0.1:18222\r\nUser-Agent: wrk\r\nAccept: */*\r\nx-scriptalias-job: %s\r\n\r\n'
        % json.dumps(JOB, separators=(',', ':'))).encode()
N = 20000


class Conn:
    def sendall(self, data):
        pass


class Sink:
    def send(self, message):
        pass


def best_us(fn, frame):
    best = 1e9
    for _ in range(7):
        rfile = io.BufferedReader(io.BytesIO(frame * N), 65536)
        t0 = time.process_time()
        for _ in range(N):
            fn(rfile)
        best = min(best, (time.process_time() - t0) / N * 1e6)
    return best


# The same request as the proxy's compact head (src/protocol/wsgi-head.ts) sends it.
ENVIRON = ['REQUEST_METHOD', 'GET', 'SCRIPT_NAME', '/app', 'PATH_INFO', '/hello', 'QUERY_STRING', '', 'REQUEST_URI', '/app/hello',
           'SCRIPT_FILENAME', JOB['script'], 'SERVER_NAME', '127.0.0.1', 'SERVER_PORT', '18222', 'SERVER_PROTOCOL', 'HTTP/1.1',
           'REMOTE_ADDR', '127.0.0.1', 'REMOTE_PORT', '45678', 'wsgi.url_scheme', 'http', 'wsgi.multithread', '1',
           'wsgi.multiprocess', '1', 'wsgi.run_once', '', 'mod_wsgi.process_group', 'bench', 'mod_wsgi.application_group', '',
           'mod_wsgi.callable_object', 'application', 'mod_wsgi.script_name', '/app', 'mod_wsgi.path_info', '/hello',
           'mod_wsgi.script_reloading', '1', 'scriptalias.request_id', 'a1b2c3d4-0001', 'HTTP_HOST', '127.0.0.1:18222',
           'HTTP_USER_AGENT', 'wrk', 'HTTP_ACCEPT', '*/*']
COMPACT = '\0'.join(ENVIRON).encode('utf-8')
COMPACT = len(COMPACT).to_bytes(4, 'little') + COMPACT


def whole_path():
    realm_class = getattr(wsgi_host, 'Realm', None)
    if realm_class is None:
        from wsgi_host.realm import Realm as realm_class
    realm = realm_class(Sink(), '', '/nonexistent.sock', 1)
    conn = Conn()
    compact = hasattr(__import__('wsgi_host.request').request, 'read_environ') if realm_class.__module__ != 'wsgi_host' else False
    us = best_us(lambda rfile: realm._serve_one(conn, rfile), COMPACT if compact else HEAD)
    print('%s (%s head): %.2f us CPU per request' % (FOLDER, 'compact' if compact else 'HTTP text', us))


def head_forms():
    from wsgi_host.request import read_head
    from wsgi_host.wsgi import WsgiHost
    host = WsgiHost(Sink(), '')

    def text(rfile):
        method, target, _, headers = read_head(rfile)
        header_map = {}
        for name, value in headers:
            header_map[name] = header_map[name] + ', ' + value if name in header_map else value
        host.environ(json.loads(header_map['x-scriptalias-job']), method, target, header_map, None)

    environ = host.environ(JOB, 'GET', '/app/hello', {'host': '127.0.0.1:18222', 'user-agent': 'wrk', 'accept': '*/*'}, None)
    strings = {k: v for k, v in environ.items() if isinstance(v, str)}
    pairs = b''.join(struct.pack('<HH', len(k), len(v)) + k.encode('latin-1') + v.encode('latin-1') for k, v in strings.items())
    nul = '\0'.join(x for kv in strings.items() for x in kv).encode('latin-1')
    unpack = struct.Struct('<HH').unpack_from

    def length_pairs(rfile):  # uwsgi's form: a Python loop over the pairs
        n = int.from_bytes(rfile.read(4), 'little')
        data = rfile.read(n)
        out, i = {}, 0
        while i < n:
            klen, vlen = unpack(data, i)
            i += 4
            key = data[i:i + klen].decode('latin-1')
            i += klen
            out[key] = data[i:i + vlen].decode('latin-1')
            i += vlen

    def nul_pairs(rfile):  # one split in C
        n = int.from_bytes(rfile.read(4), 'little')
        it = iter(rfile.read(n).decode('latin-1').split('\0'))
        dict(zip(it, it))

    print('text head + job JSON + environ (today): %.2f us' % best_us(text, HEAD))
    print('u16-length environ pairs (uwsgi form):  %.2f us' % best_us(length_pairs, struct.pack('<I', len(pairs)) + pairs))
    print('NUL-separated environ pairs:            %.2f us' % best_us(nul_pairs, struct.pack('<I', len(nul)) + nul))


head_forms() if HEAD_ONLY else whole_path()
