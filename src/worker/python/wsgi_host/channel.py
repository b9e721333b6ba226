"""The control channel (Node's IPC channel: one JSON object per line each way) and the log lines
every part of the worker sends on it, or on a realm's pipe to the worker that relays them."""
import json
import socket
import threading

from wsgi_host.protocol import MSG_LOG


class Channel:
    """Node's IPC channel: one JSON object per line in each direction."""

    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)
        self.lock = threading.Lock()

    def send(self, message):
        data = (json.dumps(message, separators=(',', ':')) + '\n').encode('utf-8')
        with self.lock:
            try:
                self.sock.sendall(data)
            except OSError:
                pass

    def messages(self):
        buf = b''
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                if line.strip():
                    yield json.loads(line)


class LineLog:
    """A realm child logs JSON lines on stdout; its parent forwards them to the control channel."""

    def __init__(self, stream):
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, message):
        with self.lock:
            self.stream.write(json.dumps(message, separators=(',', ':')) + '\n')
            self.stream.flush()


def log_message(sink, level, msg, **fields):
    entry = {'type': MSG_LOG, 'level': level, 'msg': msg}
    entry.update({k: v for k, v in fields.items() if v is not None})
    sink.send(entry)
