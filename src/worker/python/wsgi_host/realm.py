"""The serving realm: one application group's Unix socket and its request threads, as leader and
followers. One thread at a time, the leader, waits on the selector and serves the connections it finds
ready itself, one after the other: under load a single wake-up serves a whole batch, with no hand-off
to another thread and no fight for the GIL (a thread per request made two or three switches each).
One follower, the standby, watches the leader: when the leader has been serving the same request for
STANDBY_WATCH_S (a slow or blocking application), the standby takes the selector and becomes the new
leader, so up to `threads` requests still run at once, as a thread pool does. Once the leader has
waited IDLE_PARK_S for work, the standby sleeps until the leader starts a request (an idle realm has no
wake-ups); the other followers sleep until a standby is needed."""
import os
import queue
import selectors
import socket
import threading
import time
import traceback

from wsgi_host.channel import log_message
from wsgi_host.protocol import WORKER_PROTOCOL
from wsgi_host.request import BAD_REQUEST_ANSWER, BadRequest, read_environ
from wsgi_host.wsgi import WsgiHost

STANDBY_WATCH_S = 0.005  # a request served longer than this gets its leader replaced (not interrupted)
IDLE_PARK_S = 0.05       # a leader idle this long: the standby stops looking until work comes


class Realm:
    """One application group in this process: its module cache and its HTTP server."""

    def __init__(self, sink, app_group, socket_path, threads):
        self.sink = sink
        self.app_group = app_group
        self.socket_path = socket_path
        self.threads = max(1, threads)
        self.host = WsgiHost(sink, app_group)
        self.cache = self.host.cache
        self.active = 0
        self.stopping = False
        self.listener = None
        self.selector = selectors.DefaultSelector()
        self.ready = []      # connections the leader found readable and has not served yet
        self.returned = queue.Queue()  # keep-alive connections a former leader hands back
        self.wake_r, self.wake_w = socket.socketpair()
        # Roles, changed only under `roles`: the leader's and the standby's thread ident, and what the
        # leader is serving (a sequence number per request, so the standby sees one that lasts).
        self.roles = threading.Lock()
        self.standby_wake = threading.Condition(self.roles)   # the standby's own: set to watch
        self.follower_wake = threading.Condition(self.roles)  # the other followers': one may become standby
        self.standby_parked = False  # the standby sleeps until the leader starts a request
        self.idle_since = None       # when the leader began waiting on the selector (None: not waiting)
        self.leader = None
        self.standby = None
        self.serving = None
        self.serving_seq = 0
        self.orphan = None   # the connection a replaced leader still serves: out of the selector

    # -- serving --------------------------------------------------------------------------

    def listen(self):
        try:
            os.unlink(self.socket_path)
        except OSError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.socket_path)
        # 0600: only this worker's user (and the proxy) may connect; the 0700 folder guards until now.
        os.chmod(self.socket_path, 0o600)
        self.listener.listen(1024)
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        for _ in range(self.threads):
            threading.Thread(target=self._thread, daemon=True).start()

    def _thread(self):
        me = threading.get_ident()
        while self._await_leadership(me):
            try:
                self._lead(me)
            except Exception:
                # A fault here must not take the realm's selector with it: log, hand the lead on.
                log_message(self.sink, 'error', 'request thread failed', code=WORKER_PROTOCOL,
                            appGroup=self.app_group, err=traceback.format_exc())
                self._give_up_lead(me)

    def _await_leadership(self, me):
        """Blocks until this thread is the leader (True) or the realm stops (False)."""
        with self.roles:
            while not self.stopping:
                if self.leader is None:
                    self._take_lead(me)
                    return True
                if self.standby is None:
                    self.standby = me
                if self.standby != me:
                    self.follower_wake.wait()
                    continue
                if self.serving is None:
                    idle = self.idle_since
                    if idle is not None and time.monotonic() - idle >= IDLE_PARK_S:
                        # Nothing to watch while the leader waits for work: no wake-ups on an idle realm.
                        # (Under load the leader is idle only for moments: parking then would cost a
                        # wake-up per batch.)
                        self.standby_parked = True
                        self.standby_wake.wait()
                        self.standby_parked = False
                    else:
                        self.standby_wake.wait(IDLE_PARK_S)
                    continue
                seen = self.serving_seq
                self.standby_wake.wait(STANDBY_WATCH_S)
                if self.serving is not None and self.serving_seq == seen:
                    # The leader is stuck in one request: it finishes it as a plain request thread, and
                    # `serving` is the new leader's (nothing yet): a standby watching the old leader's
                    # request would take the lead from a leader that only waits on the selector, and
                    # two threads would share it.
                    self.orphan = self.serving
                    self.serving = None
                    self._take_lead(me)
                    return True
            return False

    def _take_lead(self, me):
        self.leader = me
        if self.standby == me:
            self.standby = None
            self.follower_wake.notify()  # a sleeping follower becomes the standby

    def _give_up_lead(self, me):
        """No leader until another thread takes the lead (the realm stops, or the leader's loop failed)."""
        with self.roles:
            if self.leader == me:
                self.leader = None
                self.serving = None
                self.standby_wake.notify_all()
                self.follower_wake.notify_all()

    def _lead(self, me):
        """Serves ready connections until another thread takes the lead (or the realm stops)."""
        roles = self.roles
        while True:
            conn = self._next_ready()
            if conn is None:
                self._give_up_lead(me)
                return
            with roles:
                self.serving = conn
                self.serving_seq += 1
                self.active += 1
                if self.standby_parked:
                    self.standby_wake.notify()  # watch this request
            keep = False
            try:
                keep = self._serve_one(conn[0], conn[1])
            except Exception:  # the connection is broken; the proxy answers 502 if nothing was sent
                keep = False
            with roles:
                replaced = self.leader != me
                if not replaced:
                    self.serving = None  # a replaced leader's request is not the new leader's `serving`
                self.active -= 1
            if not keep or self.stopping:
                self._forget(conn, replaced)
            elif replaced:
                self.returned.put(conn)  # back into the selector, by whoever leads now
                try:
                    self.wake_w.send(b'x')
                except OSError:
                    pass
            if replaced:
                return

    def _next_ready(self):
        """The next connection with a request waiting; new connections and returned ones join the
        selector on the way. Leader only: no other thread touches the selector. None when stopping."""
        if self.orphan is not None:
            self._unregister(self.orphan[0])
            self.orphan = None
        while not self.ready:
            if self.stopping:
                return None
            self.idle_since = time.monotonic()
            events = self.selector.select(1.0)
            self.idle_since = None
            for key, _ in events:
                if key.data is not None:
                    self.ready.append(key.data)
                elif key.fileobj is self.listener:
                    try:
                        conn, _ = self.listener.accept()
                    except OSError:
                        continue
                    self.selector.register(conn, selectors.EVENT_READ, (conn, conn.makefile('rb', 65536)))
                else:
                    self._take_returned()
        return self.ready.pop()

    def _take_returned(self):
        try:
            self.wake_r.recv(4096)
        except OSError:
            pass
        while True:
            try:
                conn = self.returned.get_nowait()
            except queue.Empty:
                return
            self.selector.register(conn[0], selectors.EVENT_READ, conn)

    def _unregister(self, sock):
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass

    def _forget(self, conn, replaced):
        if not replaced:
            self._unregister(conn[0])
        try:
            conn[0].close()
        except OSError:
            pass

    def _serve_one(self, conn, rfile):
        try:
            environ = read_environ(rfile)
        except BadRequest:
            conn.sendall(BAD_REQUEST_ANSWER)
            return False
        if environ is None:
            return False
        return self.host.handle(conn, rfile, environ)

    # -- lifecycle ------------------------------------------------------------------------

    def close(self, graceful_s):
        self.stopping = True
        try:
            self.listener.close()
        except OSError:
            pass
        deadline = time.time() + graceful_s
        while self.active > 0 and time.time() < deadline:
            time.sleep(0.01)
        try:
            os.unlink(self.socket_path)
        except OSError:
            pass
