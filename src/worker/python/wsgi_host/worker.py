"""The worker's control loop (docs/worker-protocol.md): init → main realm + preloads → ready;
ensure-app-group → a realm per application group; shutdown → every realm drains, then exit 0.
When the control channel closes (the proxy is gone) the worker exits at once: no orphans."""
import hashlib
import os
import signal
import sys
import threading
import traceback

from wsgi_host import proctitle
from wsgi_host.channel import Channel, log_message
from wsgi_host.isolation import create_realm, run_realm_child
from wsgi_host.protocol import (MSG_APP_GROUP_FAILED, MSG_APP_GROUP_READY, MSG_ENSURE_APP_GROUP, MSG_INIT, MSG_READY,
                                MSG_SHUTDOWN, WORKER_START_FAILED)
from wsgi_host.realm import Realm
from wsgi_host.scripts import preload_into


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
                child = create_realm(self.channel, app_group, self.socket_for(app_group), self.init['threads'], preload)
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
        preloads = preload_into(self.main.cache, '', groups.pop('', []), self.channel)
        app_groups = {}
        for group, entries in groups.items():
            try:
                child = self.child_realm(group, entries)
                app_groups[group] = child.socket_path
                preloads.extend(child.preloads)
            except RuntimeError as err:
                for entry in entries:
                    preloads.append({'script': entry['script'], 'applicationGroup': group, 'ok': False,
                                     'error': {'code': WORKER_START_FAILED, 'message': str(err)}})
        self.main.listen()
        self.channel.send({'type': MSG_READY, 'pid': os.getpid(), 'socketPath': self.main.socket_path,
                           'preloads': preloads, 'appGroups': app_groups})

    def on_ensure(self, message):
        group = message['applicationGroup']
        try:
            if group == '':
                path = self.main.socket_path
            else:
                path = self.child_realm(group, []).socket_path
            self.channel.send({'type': MSG_APP_GROUP_READY, 'id': message['id'], 'applicationGroup': group, 'socketPath': path})
        except RuntimeError as err:
            self.channel.send({'type': MSG_APP_GROUP_FAILED, 'id': message['id'], 'applicationGroup': group,
                               'error': {'code': WORKER_START_FAILED, 'message': str(err)}})

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
        sys.stderr.write('launch.py is started by redbird-scriptalias (it needs the Node IPC channel)\n')
        sys.exit(2)
    # The arbiter decides when we stop; a terminal's Ctrl-C goes to it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = Worker(Channel(int(fd)))
    for message in worker.channel.messages():
        kind = message.get('type')
        if kind == MSG_INIT:
            try:
                worker.on_init(message)
            except Exception:
                log_message(worker.channel, 'error', 'worker failed to start', code=WORKER_START_FAILED,
                            err=traceback.format_exc())
                os._exit(1)
        elif kind == MSG_ENSURE_APP_GROUP:
            threading.Thread(target=worker.on_ensure, args=(message,), daemon=True).start()
        elif kind == MSG_SHUTDOWN:
            threading.Thread(target=worker.on_shutdown, args=(message,), daemon=True).start()
    # The channel closed: the proxy is gone. Exit at once; realm children see EOF and follow.
    os._exit(0)
