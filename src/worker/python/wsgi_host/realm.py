"""The serving realm: one application group's Unix socket, its accept loop and its request threads
(gunicorn's gthread model: idle keep-alive connections wait in a selector, not in a thread)."""
import os
import queue
import select
import selectors
import socket
import threading
import time

from wsgi_host.request import BAD_REQUEST_ANSWER, BadRequest, read_environ
from wsgi_host.wsgi import WsgiHost

KEEP_WAIT_S = 0.001  # how long a request thread waits for the next request on its connection


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
        self.active_lock = threading.Lock()
        self.stopping = False
        self.work = queue.Queue()
        self.returned = queue.Queue()
        self.listener = None
        self.wake_r, self.wake_w = socket.socketpair()

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
        for _ in range(self.threads):
            threading.Thread(target=self._worker, daemon=True).start()
        threading.Thread(target=self._select_loop, daemon=True).start()

    def _select_loop(self):
        """Idle keep-alive connections wait here, not in a request thread (gthread model)."""
        sel = selectors.DefaultSelector()
        sel.register(self.listener, selectors.EVENT_READ, 'accept')
        sel.register(self.wake_r, selectors.EVENT_READ, 'wake')
        while not self.stopping:
            for key, _ in sel.select(1.0):
                if key.data == 'accept':
                    try:
                        conn, _ = self.listener.accept()
                    except OSError:
                        continue
                    sel.register(conn, selectors.EVENT_READ, (conn, conn.makefile('rb', 65536)))
                elif key.data == 'wake':
                    try:
                        self.wake_r.recv(4096)
                    except OSError:
                        pass
                    while True:
                        try:
                            conn, rfile = self.returned.get_nowait()
                        except queue.Empty:
                            break
                        sel.register(conn, selectors.EVENT_READ, (conn, rfile))
                else:
                    sel.unregister(key.fileobj)
                    self.work.put(key.data)
        sel.close()

    def _worker(self):
        while True:
            conn, rfile = self.work.get()
            keep = False
            with self.active_lock:
                self.active += 1
            try:
                keep = self._serve_one(conn, rfile)
                # Under load the proxy sends its next request on this connection within moments: wait
                # a little for it here rather than a selector round trip (two thread switches), but
                # only while no other connection waits for a thread.
                while keep and not self.stopping and self.work.empty() and select.select([conn], [], [], KEEP_WAIT_S)[0]:
                    keep = self._serve_one(conn, rfile)
            except Exception:  # the connection is broken; the proxy answers 502 if nothing was sent
                keep = False
            finally:
                with self.active_lock:
                    self.active -= 1
            if keep and not self.stopping:
                # Back to the selector until its next request (the proxy never pipelines).
                self.returned.put((conn, rfile))
                try:
                    self.wake_w.send(b'x')
                except OSError:
                    pass
            else:
                try:
                    conn.close()
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
