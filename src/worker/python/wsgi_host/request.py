"""A request off its stream (mux.py): its compact head (src/protocol/wsgi-head.ts: u32 LE length, then the
WSGI environ's string entries, NUL-separated, built by the proxy) and its body as wsgi.input, streamed
(Content-Length or chunked), never buffered whole."""
from wsgi_host.protocol import MAX_HEAD_BYTES


class BadRequest(Exception):
    pass


def frame(fields):
    """Fields (latin-1 str) joined by NUL behind their u32 LE byte length: the compact head's form.
    ValueError when a field holds a NUL (the pairs would shift) or a line break (header injection, as
    mod_wsgi refuses it): an application's status or headers never need one."""
    text = '\0'.join(fields)
    if text.count('\0') != len(fields) - 1 or '\n' in text or '\r' in text:
        raise ValueError('PEP 3333: a status or header holds a NUL or line break')
    data = text.encode('latin-1')
    return len(data).to_bytes(4, 'little') + data


BAD_REQUEST_ANSWER = frame(['400 Bad Request', 'Content-Length', '0', 'Connection', 'close'])


def read_environ(stream):
    """The environ strings of the next request (a new dict); None at end of stream. An empty head gives
    an empty dict, which the caller refuses. Raises BadRequest for a head too large or cut short."""
    try:
        data = stream.read_sized(MAX_HEAD_BYTES)
    except ValueError as err:
        raise BadRequest(str(err))
    if data is None:
        return None
    if not data:
        return {}
    fields = data.decode('utf-8').split('\0')
    if len(fields) % 2:
        raise BadRequest('odd number of head fields')
    it = iter(fields)
    return dict(zip(it, it))


class Input:
    """wsgi.input: streams the request body (Content-Length or chunked), never buffering it whole."""

    def __init__(self, stream, length, chunked):
        self.stream = stream
        self.remaining = length if length is not None else 0
        self.chunked = chunked
        self.chunk_left = 0
        self.done = not chunked and self.remaining == 0

    def _read_chunked(self, size):
        out = []
        while not self.done and (size < 0 or size > 0):
            if self.chunk_left == 0:
                line = self.stream.readline(1024)
                if not line:
                    raise BadRequest('truncated chunked body')
                try:
                    self.chunk_left = int(line.split(b';', 1)[0].strip(), 16)
                except ValueError:
                    raise BadRequest('bad chunk size')
                if self.chunk_left == 0:
                    while True:  # trailers
                        trailer = self.stream.readline(65537)
                        if trailer in (b'\r\n', b'\n', b''):
                            break
                    self.done = True
                    break
            want = self.chunk_left if size < 0 else min(size, self.chunk_left)
            data = self.stream.read(want)
            if not data:
                raise BadRequest('truncated chunk')
            out.append(data)
            self.chunk_left -= len(data)
            if size > 0:
                size -= len(data)
            if self.chunk_left == 0:
                self.stream.readline(3)
        return b''.join(out)

    def read(self, size=-1):
        if size is None:
            size = -1
        if self.chunked:
            return self._read_chunked(size)
        if self.remaining <= 0:
            return b''
        want = self.remaining if size < 0 else min(size, self.remaining)
        data = self.stream.read(want)
        self.remaining -= len(data)
        if len(data) < want:
            self.remaining = 0
        return data

    def readline(self, size=-1):
        if size is None:
            size = -1
        if self.chunked:
            out = b''
            while not out.endswith(b'\n') and (size < 0 or len(out) < size):
                ch = self._read_chunked(1)
                if not ch:
                    break
                out += ch
            return out
        if self.remaining <= 0:
            return b''
        limit = self.remaining if size < 0 else min(size, self.remaining)
        data = self.stream.readline(limit)
        self.remaining -= len(data)
        return data

    def readlines(self, hint=-1):
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def drain(self):
        while self.read(65536):
            pass
