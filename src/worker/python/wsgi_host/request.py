"""A request off a realm's socket: its HTTP/1.1 head (the proxy's hop, never a client directly) and
its body as wsgi.input, streamed (Content-Length or chunked), never buffered whole."""
from wsgi_host.protocol import MAX_HEAD_BYTES

BAD_REQUEST_ANSWER = b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'


class BadRequest(Exception):
    pass


def read_head(rfile):
    """(method, target, version, headers) of the next request; None at end of stream. Headers are
    (lower-case name, value) pairs in order. Raises BadRequest for a head too large or malformed."""
    # The proxy writes a request head in one piece: usually it is all in the read buffer, and one
    # read + split replaces a readline per header line.
    buffered = rfile.peek(MAX_HEAD_BYTES)
    if not buffered:
        return None
    end = buffered.find(b'\r\n\r\n', 0, MAX_HEAD_BYTES)
    if end >= 0:
        lines = rfile.read(end + 4)[:end].decode('latin-1').split('\r\n')
    else:
        lines = _read_head_lines(rfile)
        if lines is None:
            raise BadRequest('request head too large')
        if not lines:
            return None
    try:
        method, target, version = lines[0].split(' ', 2)
    except ValueError:
        raise BadRequest('bad request line')
    headers = []
    for hline in lines[1:]:
        name, _, value = hline.partition(':')
        headers.append((name.strip().lower(), value.strip()))
    return method, target, version, headers


def _read_head_lines(rfile):
    """A head that came in pieces: line by line. [] at end of stream, None when too large."""
    lines = []
    size = 0
    while True:
        line = rfile.readline(MAX_HEAD_BYTES + 1)
        size += len(line)
        if size > MAX_HEAD_BYTES:
            return None
        if line in (b'\r\n', b'\n', b''):
            return lines if line or not lines else []
        lines.append(line.decode('latin-1').rstrip('\r\n'))


class Input:
    """wsgi.input: streams the request body (Content-Length or chunked), never buffering it whole."""

    def __init__(self, rfile, length, chunked):
        self.rfile = rfile
        self.remaining = length if length is not None else 0
        self.chunked = chunked
        self.chunk_left = 0
        self.done = not chunked and self.remaining == 0

    def _read_chunked(self, size):
        out = []
        while not self.done and (size < 0 or size > 0):
            if self.chunk_left == 0:
                line = self.rfile.readline(1024)
                if not line:
                    raise BadRequest('truncated chunked body')
                try:
                    self.chunk_left = int(line.split(b';', 1)[0].strip(), 16)
                except ValueError:
                    raise BadRequest('bad chunk size')
                if self.chunk_left == 0:
                    while True:  # trailers
                        trailer = self.rfile.readline(65537)
                        if trailer in (b'\r\n', b'\n', b''):
                            break
                    self.done = True
                    break
            want = self.chunk_left if size < 0 else min(size, self.chunk_left)
            data = self.rfile.read(want)
            if not data:
                raise BadRequest('truncated chunk')
            out.append(data)
            self.chunk_left -= len(data)
            if size > 0:
                size -= len(data)
            if self.chunk_left == 0:
                self.rfile.readline(3)
        return b''.join(out)

    def read(self, size=-1):
        if size is None:
            size = -1
        if self.chunked:
            return self._read_chunked(size)
        if self.remaining <= 0:
            return b''
        want = self.remaining if size < 0 else min(size, self.remaining)
        data = self.rfile.read(want)
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
        data = self.rfile.readline(limit)
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
