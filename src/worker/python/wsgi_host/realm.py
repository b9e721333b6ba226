"""The serving realm: one application group's Unix socket and its request threads, as leader and
followers. The proxy's requests arrive as streams multiplexed over its connections (mux.py). One thread
at a time, the leader, waits on the selector, reads the connections and serves the streams that have a
request waiting itself, one after the other: under load a single wake-up and a single read serve a
whole batch, with no hand-off to another thread and no fight for the GIL (a thread per request made
two or three switches each). One follower, the standby, watches the leader: when the leader has been
serving the same request for STANDBY_WATCH_S (a slow or blocking application), the standby takes the
selector and becomes the new leader, so up to `threads` requests still run at once, as a thread pool
does. Once the leader has waited IDLE_PARK_S for work, the standby sleeps until the leader starts a
request (an idle realm has no wake-ups); the other followers sleep until a standby is needed.
A request thread whose stream needs more body or credit reads the connections itself while no other
thread does (read_lock: one reader at a time, so frames are parsed in order), else waits for the reader."""
import collections
import os
import selectors
import socket
import threading
import time
import traceback

from wsgi_host.channel import log_message
from wsgi_host.protocol import WORKER_PROTOCOL
from wsgi_host.mux import ProtocolError, Session
from wsgi_host.request import BAD_REQUEST_ANSWER, BadRequest, read_environ
from wsgi_host.wsgi import WsgiHost

STANDBY_WATCH_S = 0.005  # a request served longer than this gets its leader replaced (not interrupted)
IDLE_PARK_S = 0.05       # a leader idle this long: the standby stops looking until work comes
RECV_BYTES = 262144      # one read of a connection: a turn of the proxy's requests, or a body's window share


class Realm:
    """One application group in this process: its module cache, its socket and its request threads."""

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
        # Streams and their buffers, the ready queue and read_gen change only under `lock` (a plain
        # Lock: a Condition's own `with` is a Python-level call, ~0.7 us each, five per request).
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.ready = collections.deque()  # streams with a request waiting, not served yet (FIFO)
        self.read_lock = threading.Lock()  # held by the one thread that waits on the selector and reads
        self.read_gen = 0                  # counts reads, so a waiting request thread misses none
        self.leader_reading = False        # the leader waits for read_lock: request threads leave it be
        # The reader's buffer, reused (a fresh 256 KiB bytes per recv would be an mmap and munmap each);
        # made at the first read, so an idle realm does not hold it.
        self.recv_buffer = None
        self.recv_view = None
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
        """Serves ready streams until another thread takes the lead (or the realm stops)."""
        roles = self.roles
        while True:
            stream = self._next_ready()
            if stream is None:
                self._give_up_lead(me)
                return
            with roles:
                self.serving = stream
                self.serving_seq += 1
                self.active += 1
                if self.standby_parked:
                    self.standby_wake.notify()  # watch this request
            keep = False
            try:
                keep = self._serve_one(stream)
            except Exception:  # the stream is broken; the proxy answers 502 if nothing was sent
                keep = False
            with roles:
                replaced = self.leader != me
                if not replaced:
                    self.serving = None  # a replaced leader's request is not the new leader's `serving`
                self.active -= 1
            self._done(stream, keep and not self.stopping, replaced)
            if replaced:
                return

    def _next_ready(self):
        """The next stream with a request waiting, reading the connections for one when none is.
        Leader only. None when stopping."""
        lock = self.lock
        while True:
            with lock:
                if self.ready:
                    stream = self.ready.popleft()
                    stream.queued = False
                    stream.busy = True
                    return stream
            if self.stopping:
                return None
            self.idle_since = time.monotonic()
            self.leader_reading = True  # request threads leave the connections to us meanwhile
            with self.read_lock:
                self.leader_reading = False
                with lock:
                    waiting = bool(self.ready)
                if not waiting:
                    self._receive(1.0)
            self.idle_since = None
            self._after_receive()

    def _done(self, stream, keep, replaced):
        """A request's end: its stream waits for the next request, or is closed (it cannot carry one)."""
        if not keep:
            stream.close()
            return
        with self.lock:
            stream.busy = False
            if stream.reset or (stream.ended and not stream.size):
                stream.session.streams.pop(stream.id, None)
                return
            if not stream.size:
                return
            # The next request came while this one was answered: serve it like any ready stream.
            stream.queued = True
            self.ready.append(stream)
        if replaced:
            self._wake_leader()

    def wait_for(self, condition):
        """Blocks a request thread until `condition()` (read under the realm's lock) holds: the
        bytes or credit its stream needs. The thread reads the connections itself when no other thread
        does (a stream must not wait for a leader busy with another request), else waits for the reader."""
        lock = self.lock
        while True:
            with lock:
                if condition():
                    return
                seen = self.read_gen
            if not self.leader_reading and self.read_lock.acquire(False):
                try:
                    with lock:
                        if condition():
                            return
                    self._receive(0.05)
                finally:
                    self.read_lock.release()
                    self._after_receive()
            else:
                with lock:
                    if not condition() and self.read_gen == seen:
                        self.cond.wait(0.05)

    def _receive(self, timeout):
        """One wait on the selector and a read of each ready connection. Holder of read_lock only."""
        for key, _ in self.selector.select(timeout):
            session = key.data
            if session is not None:
                self._read(session)
            elif key.fileobj is self.listener:
                try:
                    conn, _ = self.listener.accept()
                except OSError:
                    continue
                self.selector.register(conn, selectors.EVENT_READ, Session(conn, self))
            else:
                try:
                    self.wake_r.recv(4096)
                except OSError:
                    pass

    def _read(self, session):
        if self.recv_buffer is None:
            self.recv_buffer = bytearray(RECV_BYTES)
            self.recv_view = memoryview(self.recv_buffer)
        try:
            n = session.sock.recv_into(self.recv_buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            n = 0
        with self.lock:
            try:
                if n:
                    session.feed(self.recv_view[:n])  # feed copies what it keeps: the buffer is reused
                    return
            except ProtocolError:
                log_message(self.sink, 'error', 'dropped a connection that does not speak the stream protocol',
                            code=WORKER_PROTOCOL, appGroup=self.app_group)
            self._unregister(session.sock)
            session.drop()

    def _after_receive(self):
        """Tells the waiting request threads that a read happened (theirs may have come)."""
        with self.lock:
            self.read_gen += 1
            self.cond.notify_all()

    def _wake_leader(self):
        try:
            self.wake_w.send(b'x')
        except OSError:
            pass

    def _unregister(self, sock):
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass

    def _serve_one(self, stream):
        try:
            environ = read_environ(stream)
        except BadRequest:
            stream.sendall(BAD_REQUEST_ANSWER)
            return False
        if environ is None:
            return False
        return self.host.handle(stream, environ)

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
