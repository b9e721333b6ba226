"""One request through a WSGI application (PEP 3333): the proxy's environ checked (script, callable,
this realm's application group), the script found in the cache, the environ completed, the application
called and its iterable sent and closed."""
import traceback

from wsgi_host.channel import log_message
from wsgi_host.protocol import (CHUNKED_KEY, DROPPED_KEY, HEADERS_DROPPED, REQUEST_ID_KEY, SCRIPT_FAILED, WORKER_PROTOCOL,
                                WSGI_ERRORS)
from wsgi_host.request import BAD_REQUEST_ANSWER, BadRequest, Input
from wsgi_host.response import FileWrapper, Response
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

    def handle(self, stream, environ):
        """Answers one request whose head gave `environ` (strings only, from the proxy); False when the
        stream cannot carry another one."""
        pop = environ.pop
        req_id = pop(REQUEST_ID_KEY, '')
        chunked = pop(CHUNKED_KEY, None) is not None
        dropped = pop(DROPPED_KEY, None)
        length = environ.get('CONTENT_LENGTH')
        try:
            body = Input(stream, int(length) if length is not None and not chunked else None, chunked)
        except ValueError:
            stream.sendall(BAD_REQUEST_ANSWER)
            return False
        res = Response(stream, environ.get('REQUEST_METHOD') == 'HEAD')
        script = environ.get('SCRIPT_FILENAME')
        callable_name = environ.get('mod_wsgi.callable_object')
        if script is None or callable_name is None or environ.get('mod_wsgi.application_group') != self.app_group:
            log_message(self.sink, 'error', 'refused a request without a valid job for this application group',
                        code=WORKER_PROTOCOL, appGroup=self.app_group)
            res.send_error(500, WORKER_PROTOCOL, 'unknown')
            body.drain()
            return True
        try:
            app = self.cache.get(script, callable_name, environ.get('mod_wsgi.script_reloading') == '1')
        except ScriptError as err:
            level = 'error' if err.status >= 500 else 'info'
            log_message(self.sink, level, 'script failed to load' if err.status >= 500 else 'script refused',
                        code=err.code, script=script, reqId=req_id, appGroup=self.app_group, err=str(err))
            res.send_error(err.status, err.code, req_id)
            body.drain()
            return True
        if dropped is not None:
            log_message(self.sink, 'debug', 'header names with _ dropped', code=HEADERS_DROPPED,
                        reqId=req_id, appGroup=self.app_group, dropped=int(dropped))
        self.complete(environ, body)
        result = None
        try:
            result = app(environ, res.start_response)
            try:
                iterator = iter(result)
            except TypeError:
                raise TypeError('PEP 3333: the application must return an iterable of bytes, not %s' % type(result).__name__)
            for data in iterator:
                if data:
                    res.write(data)
            res.finish()
        except (BrokenPipeError, ConnectionResetError):
            return False  # the client went away; close() still runs below
        except Exception:
            log_message(self.sink, 'error', 'script failed', code=SCRIPT_FAILED, script=script,
                        reqId=req_id, appGroup=self.app_group, err=traceback.format_exc())
            if res.sent:
                return False  # headers are out: reset the stream so the client sees a broken answer
            res.send_error(500, SCRIPT_FAILED, req_id)
        finally:
            close = getattr(result, 'close', None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log_message(self.sink, 'error', 'close() of the response iterable failed', code=SCRIPT_FAILED,
                                script=script, reqId=req_id, err=traceback.format_exc())
        try:
            body.drain()
        except BadRequest:
            return False
        return True

    def complete(self, environ, body):
        """Adds what only this side can give to the proxy's environ strings: PEP 3333's objects and flags."""
        environ['SERVER_SOFTWARE'] = 'redbird-scriptalias'
        environ['GATEWAY_INTERFACE'] = 'CGI/1.1'
        environ['wsgi.version'] = (1, 0)
        environ['wsgi.input'] = body
        environ['wsgi.input_terminated'] = True
        environ['wsgi.errors'] = self.errors
        environ['wsgi.multithread'] = environ.get('wsgi.multithread') == '1'
        environ['wsgi.multiprocess'] = environ.get('wsgi.multiprocess') == '1'
        environ['wsgi.run_once'] = environ.get('wsgi.run_once') == '1'
        environ['wsgi.file_wrapper'] = FileWrapper
        environ['mod_wsgi.version'] = (4, 9, 4)
