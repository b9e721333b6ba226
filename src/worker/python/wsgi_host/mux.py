"""The proxy's streams over one connection: this worker's end of src/protocol/mux.ts (its framing and
its credit). Each stream is what a keep-alive connection was before: one request after another (the
compact head, the body, the answer). Why: with a connection per stream every request cost the proxy a
write and a read of its own, and this worker a select, a recv and a send; over one connection a turn
of the proxy's requests leaves in one write and arrives here in one read.

Frame: u32 BE stream id | u8 type | u32 BE n | payload (DATA: n bytes; WINDOW: n = credit; END and
RESET: none). The proxy opens streams (a DATA frame with a new id). Either side may have at most
STREAM_WINDOW bytes per stream unacknowledged; this side grants credit back as the application reads,
so a stream holds at most a window here however slowly it is read.

Threads: one at a time, the realm's reader (realm.py) receives and parses frames into the streams'
buffers, under the realm's lock; a request thread that needs bytes or credit that have not come
waits in Realm.wait_for. Frames leave whole, under the session's write lock."""
import collections
import struct
import threading

from wsgi_host.protocol import MUX_DATA, MUX_END, MUX_RESET, MUX_WINDOW, STREAM_WINDOW

HEADER = struct.Struct('>IBI')
HEADER_BYTES = HEADER.size
# A payload up to this size is joined to its header (a copy, cheaper than a scatter list for small
# ones); a larger one leaves with it in one sendmsg, uncopied.
JOIN_LIMIT = 16384
GRANT_AT = STREAM_WINDOW // 2


def _framed(sid, kind, n, payload):
    """A frame's header with its payload joined to it when that is small (payload None then), else the
    header and the payload apart."""
    header = HEADER.pack(sid, kind, n)
    if payload is not None and n <= JOIN_LIMIT:
        return header + payload, None
    return header, payload


def _newer(a, b):
    """Whether stream id a was opened after b, modulo 2**32 (mux.ts isNewerStreamId): the proxy's ids
    wrap around to 1 after 2**32 - 1."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


class ProtocolError(Exception):
    """Bytes that are not this protocol: the session is dropped rather than guessed at."""


class Session:
    """One connection from the proxy and the streams on it."""

    def __init__(self, sock, realm):
        self.sock = sock
        self.realm = realm
        self.streams = {}
        self.last_id = 0          # the newest id the proxy has opened
        self.partial = b''        # a frame header cut by the end of a read
        self.left = 0             # payload bytes of the current DATA frame still to come
        self.left_stream = None
        self.wlock = threading.Lock()   # one sender at a time; guards the streams' send credit
        self.closed = False

    def send(self, sid, kind, n, payload=None):
        """One frame."""
        frame, payload = _framed(sid, kind, n, payload)
        with self.wlock:
            self._out(frame, payload)

    def send_data(self, stream, data):
        """All of `data` as one DATA frame if the stream's credit covers it (False if not: nothing sent)."""
        n = len(data)
        frame, payload = _framed(stream.id, MUX_DATA, n, data)
        with self.wlock:
            if stream.credit < n:
                return False
            stream.credit -= n
            self._out(frame, payload)
        return True

    def _out(self, frame, payload):
        """Under wlock: a frame (header and a payload joined by _framed), or a header and its larger
        payload."""
        if self.closed:
            raise BrokenPipeError('the proxy closed the connection')
        if payload is None:
            self.sock.sendall(frame)
            return
        # Header and payload in one call, uncopied; a blocking sendmsg may still stop short.
        sent = self.sock.sendmsg([frame, payload])
        if sent < len(frame):
            self.sock.sendall(frame[sent:])
            sent = len(frame)
        if sent - len(frame) < len(payload):
            self.sock.sendall(memoryview(payload)[sent - len(frame):])

    def feed(self, view):
        """The frames of one read (a memoryview of the reader's buffer: what is kept is copied). Caller
        holds the realm's lock."""
        end = len(view)
        pos = 0
        if self.left:
            take = min(self.left, end)
            self._deliver(self.left_stream, view[:take])
            self.left -= take
            if self.left:
                return
            self.left_stream = None
            pos = take
        elif self.partial:
            need = HEADER_BYTES - len(self.partial)
            if end < need:
                self.partial += bytes(view)
                return
            header = self.partial + bytes(view[:need])
            self.partial = b''
            pos = self._frame(header, 0, view, need, end)
        streams = self.streams
        unpack = HEADER.unpack_from
        while end - pos >= HEADER_BYTES:
            sid, kind, n = unpack(view, pos)
            start = pos + HEADER_BYTES
            stream = streams.get(sid) if kind == MUX_DATA else None
            if stream is None or n > end - start:
                # New streams, payloads cut by the end of this read, and the other frame types.
                pos = self._frame(view, pos, view, start, end)
                if self.left:
                    return
                continue
            # The usual frame, one per request: a whole DATA payload for a known stream.
            pos = start + n
            self._deliver(stream, view[start:pos])
        if pos < end:
            self.partial = bytes(view[pos:end])

    def _frame(self, header, at, view, start, end):
        """Handles the frame whose header is at header[at]; its payload starts at view[start]. Returns
        where the next frame starts (end, when the payload goes on in the next read)."""
        sid, kind, n = HEADER.unpack_from(header, at)
        if kind == MUX_DATA:
            stream = self.streams.get(sid)
            if stream is None and _newer(sid, self.last_id):
                stream = Stream(self, sid)
                self.streams[sid] = stream
                self.last_id = sid
            # (A DATA frame for an older unknown id is for a stream this side closed: dropped, or the
            # client's request body in it would be read as requests with a job header of its own.)
            take = min(n, end - start)
            if take:
                self._deliver(stream, view[start:start + take])
            if take < n:
                self.left = n - take
                self.left_stream = stream
            return start + take
        stream = self.streams.get(sid)
        if kind == MUX_WINDOW:
            if stream is not None:
                with self.wlock:  # the credit's other writer, send_data, holds it
                    stream.credit += n
        elif kind in (MUX_END, MUX_RESET):
            if stream is not None:
                if kind == MUX_END:
                    stream.ended = True
                else:
                    stream.reset = True
                if not stream.busy and not stream.queued:
                    self.streams.pop(sid, None)
        else:
            raise ProtocolError('frame type %d' % kind)
        return start

    def _deliver(self, stream, payload):
        if stream is None:
            return
        stream.chunks.append(bytes(payload))
        stream.size += len(payload)
        if not stream.busy and not stream.queued:
            stream.queued = True
            self.realm.ready.append(stream)

    def drop(self):
        """The connection is gone: every stream on it ends as if reset. Caller holds the realm's lock."""
        self.closed = True
        for stream in self.streams.values():
            stream.reset = True
        self.streams.clear()
        try:
            self.sock.close()
        except OSError:
            pass


class Stream:
    """One stream: read like the socket file a request was read from before, written with sendall."""

    __slots__ = ('session', 'id', 'chunks', 'size', 'ended', 'reset', 'credit', 'unacked', 'busy', 'queued')

    def __init__(self, session, sid):
        self.session = session
        self.id = sid
        # What came and was not read yet, as it came (no buffer that grows and shrinks per request:
        # its reallocations cost a third of the worker's CPU on 64 KiB bodies, in page faults).
        self.chunks = collections.deque()
        self.size = 0
        self.ended = False     # the proxy will send no more
        self.reset = False     # the proxy dropped the stream (or the connection is gone)
        self.credit = STREAM_WINDOW
        self.unacked = 0
        self.busy = False      # a request thread serves it
        self.queued = False    # in the realm's ready queue

    def _acknowledge(self, n):
        """n bytes were read: credit goes back to the proxy once half a window has been (only this
        stream's request thread reads it, so `unacked` needs no lock)."""
        self.unacked += n
        if self.unacked >= GRANT_AT and not self.reset:
            try:
                self.session.send(self.id, MUX_WINDOW, self.unacked)
            except OSError:
                pass
            self.unacked = 0

    def _take(self, n):
        """The first n buffered bytes (there are at least n). Caller holds the realm's lock."""
        if n == 0:
            return b''
        chunks = self.chunks
        self.size -= n
        first = chunks[0]
        if len(first) == n:  # the usual case: a head or a body read as it came
            return chunks.popleft()
        if len(first) > n:
            chunks[0] = first[n:]
            return first[:n]
        parts = []
        while n:
            piece = chunks.popleft()
            if len(piece) > n:
                chunks.appendleft(piece[n:])
                piece = piece[:n]
            parts.append(piece)
            n -= len(piece)
        return b''.join(parts)

    def read(self, n):
        """n bytes; fewer only at the stream's end (b'' there)."""
        if self.size < n and not self.ended and not self.reset:
            self.session.realm.wait_for(lambda: self.size >= n or self.ended or self.reset)
        with self.session.realm.lock:
            data = self._take(min(n, self.size))
        self._acknowledge(len(data))
        return data

    def read_sized(self, limit):
        """A block behind its u32 LE length (the compact head's form): one lock where two reads would
        take two. None at the stream's end; ValueError for a block over `limit` bytes or one the end
        cuts short."""
        chunks = self.chunks
        whole = False
        if chunks and len(chunks[0]) >= 4:
            with self.session.realm.lock:
                first = chunks[0]
                size = 4 + int.from_bytes(first[:4], 'little')
                whole = size - 4 <= limit and self.size >= size
                if whole:
                    data = self._take(size)[4:]
            if whole:
                self._acknowledge(size)
                return data
        size = self.read(4)
        if not size:
            return None
        n = int.from_bytes(size, 'little') if len(size) == 4 else -1
        if not 0 <= n <= limit:
            raise ValueError('block too large' if n > limit else 'block cut short')
        data = self.read(n)
        if len(data) < n:
            raise ValueError('block cut short')
        return data

    def readline(self, limit=-1):
        """Up to and with the next b'\\n', at most `limit` bytes (when >= 0); less only at the end."""
        def line_end():
            """Where the buffered line ends (its length), or -1. Caller holds the realm's lock."""
            at = 0
            for piece in self.chunks:
                i = piece.find(b'\n')
                if i >= 0:
                    return at + i + 1
                at += len(piece)
            return -1

        def line_or_end():
            return line_end() >= 0 or 0 <= limit <= self.size or self.ended or self.reset

        realm = self.session.realm
        with realm.lock:
            found = line_or_end()
        if not found:
            realm.wait_for(line_or_end)  # evaluates it under the lock: the reader appends meanwhile
        with realm.lock:
            n = line_end()
            if n < 0:
                n = self.size
            if limit >= 0:
                n = min(n, limit)
            data = self._take(n)
        self._acknowledge(len(data))
        return data

    def sendall(self, data):
        """DATA frames as large as the credit allows; waits for credit. BrokenPipeError once the proxy
        dropped the stream."""
        if self.reset:
            raise BrokenPipeError('the proxy dropped the stream')
        session = self.session
        realm = session.realm
        if not data or session.send_data(self, data):
            return  # the usual case: the credit covers it, one frame
        view = memoryview(data)
        while len(view):
            if self.reset:
                raise BrokenPipeError('the proxy dropped the stream')
            take = min(self.credit, len(view))
            if take == 0:
                realm.wait_for(lambda: self.credit > 0 or self.reset)
                continue
            if session.send_data(self, view[:take]):
                view = view[take:]

    def close(self):
        """This side is done with the stream (the request thread's answer was its last): RESET unless the
        proxy dropped it already."""
        realm = self.session.realm
        with realm.lock:
            self.busy = False
            gone = self.reset
            self.reset = True
            self.session.streams.pop(self.id, None)
        if not gone:
            try:
                self.session.send(self.id, MUX_RESET, 0)
            except OSError:
                pass
