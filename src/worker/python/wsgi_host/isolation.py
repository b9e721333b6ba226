"""Application groups other than %{GLOBAL}: each in a sub-interpreter of this process (its own
sys.modules, same pid) or, where CPython has none, in a child process of this worker (`--realm`).
Either way the realm reports to the worker in JSON lines on a pipe: 'realm-ready' with its preload
results, 'realm-closed' after a graceful stop, and log lines the worker relays to the proxy."""
import base64
import json
import os
import signal
import sys
import threading

from wsgi_host.channel import LineLog
from wsgi_host.realm import Realm
from wsgi_host.scripts import preload_into

try:  # CPython's sub-interpreters (3.8-3.12 name); their absence means process isolation
    import _xxsubinterpreters as _subinterpreters
except ImportError:
    _subinterpreters = None

# The folder of launch.py and of this package: a sub-interpreter or a realm child imports from it.
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Messages between a realm and its worker only; never on the control channel.
REALM_READY = 'realm-ready'
REALM_CLOSED = 'realm-closed'


def relay_realm_messages(realm, stream, sink):
    """Reads a realm's JSON lines (child process or sub-interpreter): 'realm-ready' marks it ready with
    its preload results; anything else (logs) goes to the worker's channel. Returns at end of stream."""
    for raw in stream:
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if message.get('type') == REALM_READY:
            realm.preloads = message.get('preloads', [])
            realm.ready.set()
        elif message.get('type') == REALM_CLOSED:
            realm.closed.set()
        else:
            sink.send(message)


class ChildRealm:
    """An application group other than %{GLOBAL}: a child process of this worker (`--realm`)."""

    def __init__(self, sink, app_group, socket_path, threads, preload):
        self.app_group = app_group
        self.socket_path = socket_path
        spec = base64.urlsafe_b64encode(json.dumps({'appGroup': app_group, 'socket': socket_path, 'threads': threads,
                                                    'preload': preload}).encode()).decode()
        import subprocess  # only for this fallback: not loading it keeps every worker ~2 MiB smaller
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, 'launch.py'), '--realm', spec],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        self.ready = threading.Event()
        self.closed = threading.Event()
        self.preloads = []
        self.failed = None
        threading.Thread(target=self._read, args=(sink,), daemon=True).start()

    def _read(self, sink):
        relay_realm_messages(self, self.proc.stdout, sink)
        if not self.ready.is_set():
            self.failed = 'application group process exited during start'
            self.ready.set()

    def stop(self, graceful_s):
        """Graceful: the child finishes its in-flight requests (at most graceful_s), then exits."""
        try:
            self.proc.stdin.write(('%f\n' % graceful_s).encode())
            self.proc.stdin.close()  # EOF: the child drains and exits
        except OSError:
            pass
        try:
            self.proc.wait(graceful_s + 1)
        except Exception:
            self.proc.kill()


class SubRealm:
    """An application group other than %{GLOBAL} in a sub-interpreter of this process: its own
    sys.modules (so its own module state), its own socket and request threads, same pid."""

    def __init__(self, sink, app_group, socket_path, threads, preload):
        self.app_group = app_group
        self.socket_path = socket_path
        self.ready = threading.Event()
        self.closed = threading.Event()
        self.preloads = []
        self.failed = None
        read_fd, write_fd = os.pipe()
        # The stop pipe: the sub-interpreter blocks on it and drains its realm when a line arrives.
        self.stop_read, self.stop_write = os.pipe()
        spec = json.dumps({'appGroup': app_group, 'socket': socket_path, 'threads': threads, 'preload': preload,
                           'logFd': write_fd, 'stopFd': self.stop_read})
        code = ('import sys\nsys.path.insert(0, %r)\nfrom wsgi_host.isolation import serve_in_subinterpreter\n'
                'serve_in_subinterpreter(%r)\n' % (HERE, spec))
        self.interp = _subinterpreters.create(isolated=False)
        threading.Thread(target=self._read, args=(sink, read_fd), daemon=True).start()
        threading.Thread(target=self._run, args=(code,), daemon=True).start()

    def _run(self, code):
        try:
            _subinterpreters.run_string(self.interp, code)  # serves until the process exits
        except Exception as err:
            self.failed = 'application group sub-interpreter failed: %s' % err
            self.ready.set()

    def _read(self, sink, read_fd):
        with os.fdopen(read_fd, 'rb') as stream:
            relay_realm_messages(self, stream, sink)

    def stop(self, graceful_s):
        """Graceful: the sub-interpreter's realm finishes its in-flight requests (at most graceful_s)."""
        if not self.ready.is_set() or self.failed:
            return
        try:
            os.write(self.stop_write, ('%f\n' % graceful_s).encode())
        except OSError:
            return
        self.closed.wait(graceful_s + 1)


def create_realm(sink, app_group, socket_path, threads, preload):
    """A sub-interpreter where this CPython has them, else a child process."""
    kind = SubRealm if _subinterpreters is not None else ChildRealm
    return kind(sink, app_group, socket_path, threads, preload)


def _start_realm(spec, sink):
    realm = Realm(sink, spec['appGroup'], spec['socket'], spec['threads'])
    preloads = preload_into(realm.cache, realm.app_group, spec['preload'], sink)
    realm.listen()
    sink.send({'type': REALM_READY, 'preloads': preloads})
    return realm


def _graceful_seconds(said):
    try:
        return float(said.decode().strip() or '0')
    except ValueError:
        return 0.0


def serve_in_subinterpreter(spec_json):
    """Runs inside a sub-interpreter: serve one application group; logs go to the parent on a pipe."""
    spec = json.loads(spec_json)
    sink = LineLog(os.fdopen(spec['logFd'], 'w', buffering=1))
    realm = _start_realm(spec, sink)
    line = b''
    while not line.endswith(b'\n'):
        chunk = os.read(spec['stopFd'], 64)  # blocks until the worker stops this realm
        if not chunk:
            break
        line += chunk
    realm.close(_graceful_seconds(line))
    sink.send({'type': REALM_CLOSED})


def run_realm_child(spec_b64):
    """`--realm`: serve one application group; exit when the parent closes our stdin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = json.loads(base64.urlsafe_b64decode(spec_b64))
    realm = _start_realm(spec, LineLog(sys.stdout))
    said = sys.stdin.buffer.read()  # blocks until the parent exits or closes the pipe
    realm.close(_graceful_seconds(said))
    os._exit(0)
