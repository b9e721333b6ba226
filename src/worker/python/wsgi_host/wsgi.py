"""One request through a WSGI application (PEP 3333): the job header checked, the script found in
the cache, the environ built, the application called and its iterable sent and closed."""
import json
import traceback

from wsgi_host.channel import log_message
from wsgi_host.protocol import (HEADERS_DROPPED, JOB_HEADER, SCRIPT_FAILED, WORKER_PROTOCOL, WSGI_ERRORS)
from wsgi_host.request import BAD_REQUEST_ANSWER, BadRequest, Input
from wsgi_host.response import HOP_BY_HOP, FileWrapper, Response
from wsgi_host.scripts import ScriptCache, ScriptError


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
            log_message(self.sink, 'warn', line, code=WSGI_ERRORS, appGroup=self.app_group)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.pending:
            self.write('\n')


class WsgiHost:
    """The applications of one application group: its script cache, its wsgi.errors, and the call."""

    def __init__(self, sink, app_group):
        self.sink = sink
        self.app_group = app_group
        self.cache = ScriptCache()
        self.errors = ErrorsStream(sink, app_group)

    def handle(self, conn, rfile, method, target, headers):
        """Answers one request; False when the connection cannot carry another one."""
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
                        code=WORKER_PROTOCOL, appGroup=self.app_group)
            res.send_error(500, WORKER_PROTOCOL, 'unknown')
            body.drain()
            return True
        req_id = job.get('reqId', '')
        try:
            app = self.cache.get(job['script'], job['callable'], job.get('reloading', True))
        except ScriptError as err:
            level = 'error' if err.status >= 500 else 'info'
            log_message(self.sink, level, 'script failed to load' if err.status >= 500 else 'script refused',
                        code=err.code, script=job['script'], reqId=req_id, appGroup=self.app_group, err=str(err))
            res.send_error(err.status, err.code, req_id)
            body.drain()
            return True
        environ = self.environ(job, method, target, header_map, body)
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
            log_message(self.sink, 'error', 'script failed', code=SCRIPT_FAILED, script=job['script'],
                        reqId=req_id, appGroup=self.app_group, err=traceback.format_exc())
            if res.sent:
                return False  # headers are out: cut the connection so the client sees a broken answer
            res.send_error(500, SCRIPT_FAILED, req_id)
        finally:
            close = getattr(result, 'close', None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log_message(self.sink, 'error', 'close() of the response iterable failed', code=SCRIPT_FAILED,
                                script=job['script'], reqId=req_id, err=traceback.format_exc())
        try:
            body.drain()
        except BadRequest:
            return False
        return True

    def environ(self, job, method, target, header_map, body):
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
            log_message(self.sink, 'debug', 'header names with _ dropped', code=HEADERS_DROPPED,
                        reqId=job.get('reqId'), appGroup=self.app_group, dropped=dropped)
        return environ
