"""The answer on a request's stream: PEP 3333's start_response and write, wsgi.file_wrapper (read in
blocks: a stream shares its connection, so no os.sendfile), and the short error answers this worker
decides itself. The head goes back compact (status, then header name/value pairs, NUL-separated:
request.frame); the body in HTTP/1.1 framing (Content-Length or chunked), which the proxy passes through."""
from wsgi_host.protocol import REASONS
from wsgi_host.request import frame

HOP_BY_HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection'}


class FileWrapper:
    """wsgi.file_wrapper: the file's blocks are sent as any body (PEP 3333 allows a plain iterable)."""

    def __init__(self, filelike, blksize=65536):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, 'close'):
            self.close = filelike.close

    def __iter__(self):
        while True:
            data = self.filelike.read(self.blksize)
            if not data:
                return
            yield data


class Response:
    def __init__(self, stream, head_only):
        self.stream = stream
        self.head_only = head_only
        self.status = None
        self.headers = None
        self.sent = False
        self.chunked = False
        self.length = None
        self.no_body = head_only

    def start_response(self, status, headers, exc_info=None):
        if exc_info:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError('PEP 3333: start_response called a second time without exc_info')
        if not isinstance(status, str):
            raise TypeError('PEP 3333: status must be a str')
        try:
            status.encode('latin-1')
            for name, value in headers:
                if not isinstance(name, str) or not isinstance(value, str):
                    raise TypeError('PEP 3333: header names and values must be str')
                name.encode('latin-1')
                value.encode('latin-1')
        except UnicodeEncodeError:
            raise ValueError('PEP 3333: status and headers must be latin-1 encodable')
        self.status = status
        self.headers = list(headers)
        return self.write

    def _head(self):
        if self.status is None:
            raise AssertionError('PEP 3333: the application sent body data before calling start_response')
        fields = [self.status]
        for name, value in self.headers:
            lower = name.lower()
            if lower in HOP_BY_HOP:
                continue
            if lower == 'content-length':
                try:
                    self.length = int(value)
                except ValueError:
                    pass
            fields.append(name)
            fields.append(value)
        code = self.status[:3]
        no_body = self.head_only or code in ('204', '304') or code.startswith('1')
        if self.length is None and not no_body:
            self.chunked = True
            fields.append('Transfer-Encoding')
            fields.append('chunked')
        self.no_body = no_body
        return frame(fields)

    def write(self, data):
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError('PEP 3333: the body must be bytes')
        out = b''
        if not self.sent:
            out = self._head()
            self.sent = True
        if data and not self.no_body:
            out += (b'%x\r\n' % len(data) + bytes(data) + b'\r\n') if self.chunked else bytes(data)
        if out:
            self.stream.sendall(out)

    def finish(self):
        if not self.sent:
            self.write(b'')
        if self.chunked and not self.no_body:
            self.stream.sendall(b'0\r\n\r\n')

    def send_error(self, status, code, req_id):
        """The shape of src/http-error.ts sendError: a short text with the code, never a traceback."""
        reason = REASONS.get(status, 'Error')
        payload = ('%d %s\ncode: %s\nrequest: %s\n' % (status, reason, code, req_id)).encode()
        head = frame(['%d %s' % (status, reason), 'Content-Type', 'text/plain; charset=utf-8',
                      'Content-Length', str(len(payload))])
        self.stream.sendall(head + (b'' if self.head_only else payload))
        self.sent = True
