"""The script cache of one interpreter (spec §4.1): each script file loaded once as a module, loaded
anew when its file changed; failures are never cached, so the next request retries the load."""
import hashlib
import os
import sys
import threading
import time
import traceback
import types

from wsgi_host.channel import log_message
from wsgi_host.protocol import (PRELOAD_FAILED, RELOAD_CHECK_MS, ROUTE_NOT_FOUND, SCRIPT_LOAD_FAILED,
                                SCRIPT_NO_CALLABLE, STATUS)

RELOAD_CHECK_S = RELOAD_CHECK_MS / 1000.0


class ScriptError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.status = STATUS[code]


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
                raise ScriptError(ROUTE_NOT_FOUND, 'script deleted: %s' % script)
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
            raise ScriptError(SCRIPT_NO_CALLABLE, '%s has no callable %r' % (script, callable_name))
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
            raise ScriptError(ROUTE_NOT_FOUND, 'script not found: %s' % script)
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
            raise ScriptError(SCRIPT_LOAD_FAILED, traceback.format_exc())
        entry = (module, (st.st_mtime_ns, st.st_size), time.monotonic())
        self.modules[script] = entry
        return entry

    def preload(self, script, callable_name):
        with self.lock:
            self._load(script)


def preload_into(cache, app_group, entries, sink):
    """Loads each PreloadEntry into `cache`; a failure is logged and reported, never fatal."""
    results = []
    for entry in entries:
        try:
            cache.preload(entry['script'], entry['callable'])
            results.append({'script': entry['script'], 'applicationGroup': app_group, 'ok': True})
        except ScriptError as err:
            log_message(sink, 'warn', 'preload failed; requests will retry the load', code=PRELOAD_FAILED,
                        script=entry['script'], appGroup=app_group, err=str(err))
            results.append({'script': entry['script'], 'applicationGroup': app_group, 'ok': False,
                            'error': {'code': err.code, 'message': 'preload failed'}})
    return results
