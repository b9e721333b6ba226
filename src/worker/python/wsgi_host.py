#!/usr/bin/env python3
"""The CPython worker of redbird-scriptalias: runs PEP 3333 applications for one process group.

Speaks the worker wire protocol (docs/worker-protocol.md): control messages are JSON lines on the
Node IPC channel (fd in NODE_CHANNEL_FD); requests arrive as keep-alive HTTP/1.1 on a Unix socket
per realm, each carrying its job (script, SCRIPT_NAME, PATH_INFO, groups) in one header.

Application groups, as in mod_wsgi: %{GLOBAL} ('') is this process's main interpreter; any other
group gets its own sub-interpreter in this process (CPython's _xxsubinterpreters, non-isolated so it
may run threads; 3.11 tested). C extensions that do not support sub-interpreters belong in
%{GLOBAL}, exactly as mod_wsgi documents. Where a Python offers no sub-interpreters, each group runs
in a child process of this worker instead (`--realm`).

Standard library only; Python >= 3.9.
"""
import base64
import hashlib
import json
import os
import queue
import select
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
import types

import proctitle

try:  # CPython's sub-interpreters (3.8-3.12 name); their absence means process isolation
    import _xxsubinterpreters as _subinterpreters
except ImportError:
    _subinterpreters = None

JOB_HEADER = 'x-scriptalias-job'
MAX_HEADER_BYTES = 65536
RELOAD_CHECK_S = 0.1
BAD_REQUEST_ANSWER = b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
HERE = os.path.dirname(os.path.abspath(__file__))
KEEP_WAIT_S = 0.001  # how long a request thread waits for the next request on its connection
REASONS = {400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway'}
HOP_BY_HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection'}


# ---------------------------------------------------------------- logging and control channel

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
    entry = {'type': 'log', 'level': level, 'msg': msg}
    entry.update({k: v for k, v in fields.items() if v is not None})
    sink.send(entry)


class ErrorsStream:
    """wsgi.errors: lines written by the application go to the log."""

    def __init__(self, sink, app_group):
        self.sink = sink
        self.app_group = app_group
        self.pending = ''

    def write(self, text):
        self.pending += text
        while '\n' in self.pending:
            line, self.pending = self.pending.split('\n', 1)
            log_message(self.sink, 'warn', line, code='SA_EVT_WSGI_ERRORS', appGroup=self.app_group)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.pending:
            self.write('\n')


# ---------------------------------------------------------------- script loading (spec §4.1)

class ScriptError(Exception):
    def __init__(self, code, status, message):
        Exception.__init__(self, message)
        self.code = code
        self.status = status


class ScriptCache:
    """One module per script file in this interpreter, loaded like mod_wsgi: source exec'd into a
    fresh module `_mod_wsgi_<md5 of path>`; failures are not cached; a changed file is loaded anew."""

    def __init__(self):
        self.modules = {}
        self.lock = threading.Lock()

    def get(self, script, callable_name, reloading):
        entry = self.modules.get(script)
        # The file is looked at again at most every RELOAD_CHECK_S (as the JS realms do), not on every
        # request: a stat per request was a measurable part of a small answer.
        if entry is not None and reloading and time.monotonic() - entry[2] >= RELOAD_CHECK_S:
            try:
                st = os.stat(script)
            except OSError:
                raise ScriptError('SA_ERR_ROUTE_NOT_FOUND', 404, 'script deleted: %s' % script)
            if (st.st_mtime_ns, st.st_size) != entry[1]:
                entry = None
            else:
                self.modules[script] = entry = (entry[0], entry[1], time.monotonic())
        if entry is None:
            with self.lock:
                entry = self.modules.get(script)
                if entry is None or (reloading and self._changed(script, entry)):
                    entry = self._load(script)
        app = getattr(entry[0], callable_name, None)
        if app is None:
            raise ScriptError('SA_ERR_SCRIPT_NO_CALLABLE', 404, '%s has no callable %r' % (script, callable_name))
        return app

    @staticmethod
    def _changed(script, entry):
        try:
            st = os.stat(script)
        except OSError:
            return True
        return (st.st_mtime_ns, st.st_size) != entry[1]

    def _load(self, script):
        name = '_mod_wsgi_' + hashlib.md5(script.encode('utf-8')).hexdigest()
        try:
            st = os.stat(script)
            with open(script, 'rb') as fh:
                source = fh.read()
        except OSError:
            raise ScriptError('SA_ERR_ROUTE_NOT_FOUND', 404, 'script not found: %s' % script)
        module = types.ModuleType(name)
        module.__file__ = script
        # Frameworks look their module up by __name__ (Flask's root path): register it while loading.
        previous = sys.modules.get(name)
        sys.modules[name] = module
        try:
            code = compile(source, script, 'exec')
            exec(code, module.__dict__)
        except BaseException:
            if previous is not None:
                sys.modules[name] = previous
            else:
                sys.modules.pop(name, None)
            raise ScriptError('SA_ERR_SCRIPT_LOAD_FAILED', 500, traceback.format_exc())
        entry = (module, (st.st_mtime_ns, st.st_size), time.monotonic())
        self.modules[script] = entry
        return entry

    def preload(self, script, callable_name):
        with self.lock:
            self._load(script)


# ---------------------------------------------------------------- HTTP/1.1 on a Unix socket

class BadRequest(Exception):
    pass


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


class FileWrapper:
    """wsgi.file_wrapper: the server sends a real file with os.sendfile when it can."""

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
    def __init__(self, sock, head_only):
        self.sock = sock
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
        lines = ['HTTP/1.1 ' + self.status]
        for name, value in self.headers:
            lower = name.lower()
            if lower in HOP_BY_HOP:
                continue
            if lower == 'content-length':
                try:
                    self.length = int(value)
                except ValueError:
                    pass
            lines.append('%s: %s' % (name, value))
        code = self.status[:3]
        no_body = self.head_only or code in ('204', '304') or code.startswith('1')
        if self.length is None and not no_body:
            self.chunked = True
            lines.append('Transfer-Encoding: chunked')
        self.no_body = no_body
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

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
            self.sock.sendall(out)

    def finish(self):
        if not self.sent:
            self.write(b'')
        if self.chunked and not self.no_body:
            self.sock.sendall(b'0\r\n\r\n')

    def sendfile(self, wrapper):
        """os.sendfile for a file_wrapper of a real file with a known length; else False."""
        filelike = wrapper.filelike
        if not self.sent:
            # The head decides (chunked? a body at all?): send it, then the caller iterates if we cannot.
            self.sock.sendall(self._head())
            self.sent = True
        if self.chunked or self.no_body or self.length is None or not hasattr(filelike, 'fileno'):
            return False
        try:
            fd = filelike.fileno()
            offset = filelike.tell() if hasattr(filelike, 'tell') else 0
        except (OSError, ValueError):
            return False
        left = self.length
        while left > 0:
            sent = os.sendfile(self.sock.fileno(), fd, offset, min(left, 1 << 20))
            if sent == 0:
                break
            offset += sent
            left -= sent
        return True


def error_body(status, code, req_id):
    body = ('%d %s\ncode: %s\nrequest: %s\n' % (status, REASONS.get(status, 'Error'), code, req_id)).encode()
    return body


class Realm:
    """One application group in this process: its module cache and its HTTP server."""

    def __init__(self, sink, app_group, socket_path, threads):
        self.sink = sink
        self.app_group = app_group
        self.socket_path = socket_path
        self.threads = max(1, threads)
        self.cache = ScriptCache()
        self.errors = ErrorsStream(sink, app_group)
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
        # The proxy writes a request head in one piece: usually it is all in the read buffer, and one
        # read + split replaces a readline per header line.
        buffered = rfile.peek(MAX_HEADER_BYTES)
        if not buffered:
            return False
        end = buffered.find(b'\r\n\r\n', 0, MAX_HEADER_BYTES)
        if end >= 0:
            lines = rfile.read(end + 4)[:end].decode('latin-1').split('\r\n')
        else:
            lines = self._read_head_lines(rfile)
            if lines is None:
                conn.sendall(BAD_REQUEST_ANSWER)
                return False
            if not lines:
                return False
        try:
            method, target, version = lines[0].split(' ', 2)
        except ValueError:
            conn.sendall(BAD_REQUEST_ANSWER)
            return False
        headers = []
        for hline in lines[1:]:
            name, _, value = hline.partition(':')
            headers.append((name.strip().lower(), value.strip()))
        keep_alive = version == 'HTTP/1.1' and not any(n == 'connection' and v.lower() == 'close' for n, v in headers)
        return self._run(conn, rfile, method, target, version, headers) and keep_alive

    @staticmethod
    def _read_head_lines(rfile):
        """A head that came in pieces: line by line. [] at end of stream, None when too large."""
        lines = []
        size = 0
        while True:
            line = rfile.readline(MAX_HEADER_BYTES + 1)
            size += len(line)
            if size > MAX_HEADER_BYTES:
                return None
            if line in (b'\r\n', b'\n', b''):
                return lines if line or not lines else []
            lines.append(line.decode('latin-1').rstrip('\r\n'))

    def _run(self, conn, rfile, method, target, version, headers):
        header_map = {}
        for name, value in headers:
            header_map[name] = header_map[name] + ', ' + value if name in header_map else value
        length = header_map.get('content-length')
        chunked = 'chunked' in header_map.get('transfer-encoding', '').lower()
        try:
            body = Input(rfile, int(length) if length is not None and not chunked else None, chunked)
        except ValueError:
            conn.sendall(BAD_REQUEST_ANSWER)
            return False
        res = Response(conn, method == 'HEAD')
        raw_job = header_map.get(JOB_HEADER)
        try:
            job = json.loads(raw_job) if raw_job else None
        except (ValueError, TypeError):
            job = None
        if job is None or job.get('applicationGroup') != self.app_group:
            log_message(self.sink, 'error', 'refused a request without a valid job for this application group',
                        code='SA_ERR_WORKER_PROTOCOL', appGroup=self.app_group)
            self._send_error(res, 500, 'SA_ERR_WORKER_PROTOCOL', 'unknown')
            body.drain()
            return True
        req_id = job.get('reqId', '')
        try:
            app = self.cache.get(job['script'], job['callable'], job.get('reloading', True))
        except ScriptError as err:
            level = 'error' if err.status >= 500 else 'info'
            log_message(self.sink, level, 'script failed to load' if err.status >= 500 else 'script refused',
                        code=err.code, script=job['script'], reqId=req_id, appGroup=self.app_group, err=str(err))
            self._send_error(res, err.status, err.code, req_id)
            body.drain()
            return True
        environ = self._environ(job, method, target, version, headers, header_map, body)
        result = None
        try:
            result = app(environ, res.start_response)
            try:
                iterator = iter(result)
            except TypeError:
                raise TypeError('PEP 3333: the application must return an iterable of bytes, not %s' % type(result).__name__)
            if isinstance(result, FileWrapper) and res.status is not None and res.sendfile(result):
                pass
            else:
                for data in iterator:
                    if data:
                        res.write(data)
            res.finish()
        except (BrokenPipeError, ConnectionResetError):
            return False  # the client went away; close() still runs below
        except Exception:
            log_message(self.sink, 'error', 'script failed', code='SA_ERR_SCRIPT_FAILED', script=job['script'],
                        reqId=req_id, appGroup=self.app_group, err=traceback.format_exc())
            if res.sent:
                return False  # headers are out: cut the connection so the client sees a broken answer
            self._send_error(res, 500, 'SA_ERR_SCRIPT_FAILED', req_id)
        finally:
            close = getattr(result, 'close', None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log_message(self.sink, 'error', 'close() of the response iterable failed', code='SA_ERR_SCRIPT_FAILED',
                                script=job['script'], reqId=req_id, err=traceback.format_exc())
        try:
            body.drain()
        except BadRequest:
            return False
        return True

    def _send_error(self, res, status, code, req_id):
        payload = error_body(status, code, req_id)
        head = 'HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n' % (
            status, REASONS.get(status, 'Error'), len(payload))
        res.sock.sendall(head.encode('latin-1') + (b'' if res.head_only else payload))
        res.sent = True

    def _environ(self, job, method, target, version, headers, header_map, body):
        q = target.find('?')
        environ = {
            'REQUEST_METHOD': method,
            'SCRIPT_NAME': job['scriptName'],
            'PATH_INFO': job['pathInfo'],
            'QUERY_STRING': job.get('queryString', target[q + 1:] if q >= 0 else ''),
            'REQUEST_URI': target,
            'SCRIPT_FILENAME': job['script'],
            'SERVER_NAME': job.get('serverName') or 'localhost',
            'SERVER_PORT': str(job.get('serverPort', '')),
            'SERVER_PROTOCOL': 'HTTP/' + str(job.get('httpVersion') or '1.1'),
            'SERVER_SOFTWARE': 'redbird-scriptalias',
            'GATEWAY_INTERFACE': 'CGI/1.1',
            'REMOTE_ADDR': job.get('remoteAddr', ''),
            'REMOTE_PORT': str(job.get('remotePort', '')),
            'wsgi.version': (1, 0),
            'wsgi.url_scheme': job.get('urlScheme', 'http'),
            'wsgi.input': body,
            'wsgi.input_terminated': True,
            'wsgi.errors': self.errors,
            'wsgi.multithread': bool(job.get('multithread')),
            'wsgi.multiprocess': bool(job.get('multiprocess')),
            'wsgi.run_once': bool(job.get('runOnce')),
            'wsgi.file_wrapper': FileWrapper,
            'mod_wsgi.process_group': job.get('processGroup', ''),
            'mod_wsgi.application_group': job.get('applicationGroup', ''),
            'mod_wsgi.callable_object': job['callable'],
            'mod_wsgi.script_name': job['scriptName'],
            'mod_wsgi.path_info': job['pathInfo'],
            'mod_wsgi.script_reloading': '1' if job.get('reloading', True) else '0',
            'mod_wsgi.version': (4, 9, 4),
        }
        if environ['wsgi.url_scheme'] == 'https':
            environ['HTTPS'] = '1'  # as mod_wsgi passes mod_ssl's flag on
        dropped = 0
        for name, value in header_map.items():
            if '_' in name:
                # X_Forwarded_For would become HTTP_X_FORWARDED_FOR too: never let a client spoof a CGI
                # name a front proxy sets (Apache 2.4 and gunicorn drop these names as well).
                dropped += 1
                continue
            if name == JOB_HEADER or name in HOP_BY_HOP or name == 'proxy-authorization':
                continue
            if name == 'authorization' and not job.get('passAuthorization'):
                continue
            if name == 'content-type':
                environ['CONTENT_TYPE'] = value
            elif name == 'content-length':
                environ['CONTENT_LENGTH'] = value
            else:
                environ['HTTP_' + name.upper().replace('-', '_')] = value
        if dropped:
            log_message(self.sink, 'debug', 'header names with _ dropped', code='SA_EVT_HEADERS_DROPPED',
                        reqId=job.get('reqId'), appGroup=self.app_group, dropped=dropped)
        return environ

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


# ---------------------------------------------------------------- realms in child processes

def relay_realm_messages(realm, stream, sink):
    """Reads a realm's JSON lines (child process or sub-interpreter): 'realm-ready' marks it ready with
    its preload results; anything else (logs) goes to the worker's channel. Returns at end of stream."""
    for raw in stream:
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if message.get('type') == 'realm-ready':
            realm.preloads = message.get('preloads', [])
            realm.ready.set()
        elif message.get('type') == 'realm-closed':
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
        code = ('import sys\nsys.path.insert(0, %r)\nimport wsgi_host\nwsgi_host.serve_in_subinterpreter(%r)\n'
                % (HERE, spec))
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


def serve_in_subinterpreter(spec_json):
    """Runs inside a sub-interpreter: serve one application group; logs go to the parent on a pipe."""
    spec = json.loads(spec_json)
    sink = LineLog(os.fdopen(spec['logFd'], 'w', buffering=1))
    realm = Realm(sink, spec['appGroup'], spec['socket'], spec['threads'])
    preloads = preload_into(realm, spec['preload'], sink)
    realm.listen()
    sink.send({'type': 'realm-ready', 'preloads': preloads})
    line = b''
    while not line.endswith(b'\n'):
        chunk = os.read(spec['stopFd'], 64)  # blocks until the worker stops this realm
        if not chunk:
            break
        line += chunk
    try:
        graceful = float(line.decode() or '0')
    except ValueError:
        graceful = 0.0
    realm.close(graceful)
    sink.send({'type': 'realm-closed'})


def run_realm_child(spec_b64):
    """`--realm`: serve one application group; exit when the parent closes our stdin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = json.loads(base64.urlsafe_b64decode(spec_b64))
    sink = LineLog(sys.stdout)
    realm = Realm(sink, spec['appGroup'], spec['socket'], spec['threads'])
    preloads = preload_into(realm, spec['preload'], sink)
    realm.listen()
    sink.send({'type': 'realm-ready', 'preloads': preloads})
    said = sys.stdin.buffer.read()  # blocks until the parent exits or closes the pipe
    try:
        graceful = float(said.decode().strip() or '0')
    except ValueError:
        graceful = 0.0
    realm.close(graceful)
    os._exit(0)


def preload_into(realm, entries, sink):
    results = []
    for entry in entries:
        try:
            realm.cache.preload(entry['script'], entry['callable'])
            results.append({'script': entry['script'], 'applicationGroup': realm.app_group, 'ok': True})
        except ScriptError as err:
            log_message(sink, 'warn', 'preload failed; requests will retry the load', code='SA_WRN_PRELOAD_FAILED',
                        script=entry['script'], appGroup=realm.app_group, err=str(err))
            results.append({'script': entry['script'], 'applicationGroup': realm.app_group, 'ok': False,
                            'error': {'code': err.code, 'message': 'preload failed'}})
    return results


# ---------------------------------------------------------------- the worker process

class Worker:
    def __init__(self, channel):
        self.channel = channel
        self.main = None
        self.children = {}
        self.children_lock = threading.Lock()
        self.init = None

    def socket_for(self, app_group):
        name = hashlib.sha1(app_group.encode('utf-8')).hexdigest()[:12]
        return os.path.join(self.init['socketDir'], 'py-%d-%s.sock' % (os.getpid(), name))

    def child_realm(self, app_group, preload):
        with self.children_lock:
            child = self.children.get(app_group)
            if child is None:
                kind = SubRealm if _subinterpreters is not None else ChildRealm
                child = kind(self.channel, app_group, self.socket_for(app_group), self.init['threads'], preload)
                self.children[app_group] = child
        child.ready.wait(60)
        if child.failed or not child.ready.is_set():
            with self.children_lock:
                self.children.pop(app_group, None)
            raise RuntimeError(child.failed or 'application group process did not start')
        return child

    def on_init(self, message):
        self.init = message
        proctitle.set_title(message.get('displayName'))
        for directory in reversed(message.get('pythonPath') or []):
            sys.path.insert(0, directory)
        self.main = Realm(self.channel, '', os.path.join(message['socketDir'], 'py-%d.sock' % os.getpid()), message['threads'])
        groups = {}
        for entry in message.get('preload') or []:
            groups.setdefault(entry['applicationGroup'], []).append(entry)
        preloads = preload_into(self.main, groups.pop('', []), self.channel)
        app_groups = {}
        for group, entries in groups.items():
            try:
                child = self.child_realm(group, entries)
                app_groups[group] = child.socket_path
                preloads.extend(child.preloads)
            except RuntimeError as err:
                for entry in entries:
                    preloads.append({'script': entry['script'], 'applicationGroup': group, 'ok': False,
                                     'error': {'code': 'SA_ERR_WORKER_START_FAILED', 'message': str(err)}})
        self.main.listen()
        self.channel.send({'type': 'ready', 'pid': os.getpid(), 'socketPath': self.main.socket_path,
                           'preloads': preloads, 'appGroups': app_groups})

    def on_ensure(self, message):
        group = message['applicationGroup']
        try:
            if group == '':
                path = self.main.socket_path
            else:
                path = self.child_realm(group, []).socket_path
            self.channel.send({'type': 'app-group-ready', 'id': message['id'], 'applicationGroup': group, 'socketPath': path})
        except RuntimeError as err:
            self.channel.send({'type': 'app-group-failed', 'id': message['id'], 'applicationGroup': group,
                               'error': {'code': 'SA_ERR_WORKER_START_FAILED', 'message': str(err)}})

    def on_shutdown(self, message):
        """Graceful stop: every realm (main, sub-interpreters, child processes) finishes its in-flight
        requests, at most gracefulMs, all at the same time."""
        graceful = max(0, message.get('gracefulMs', 0)) / 1000.0
        with self.children_lock:
            children = list(self.children.values())
        stopping = [threading.Thread(target=child.stop, args=(graceful,), daemon=True) for child in children]
        for thread in stopping:
            thread.start()
        if self.main is not None:
            self.main.close(graceful)
        for thread in stopping:
            thread.join(graceful + 2)
        os._exit(0)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--realm':
        run_realm_child(sys.argv[2])
        return
    fd = os.environ.get('NODE_CHANNEL_FD')
    if fd is None:
        sys.stderr.write('wsgi_host.py is started by redbird-scriptalias (it needs the Node IPC channel)\n')
        sys.exit(2)
    # The supervisor decides when we stop; a terminal's Ctrl-C goes to it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = Worker(Channel(int(fd)))
    for message in worker.channel.messages():
        kind = message.get('type')
        if kind == 'init':
            try:
                worker.on_init(message)
            except Exception:
                log_message(worker.channel, 'error', 'worker failed to start', code='SA_ERR_WORKER_START_FAILED',
                            err=traceback.format_exc())
                os._exit(1)
        elif kind == 'ensure-app-group':
            threading.Thread(target=worker.on_ensure, args=(message,), daemon=True).start()
        elif kind == 'shutdown':
            threading.Thread(target=worker.on_shutdown, args=(message,), daemon=True).start()
    # The channel closed: the proxy is gone. Exit at once; realm children see EOF and follow.
    os._exit(0)


if __name__ == '__main__':
    main()
