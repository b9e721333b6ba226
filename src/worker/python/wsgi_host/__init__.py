"""The CPython worker of redbird-scriptalias: runs PEP 3333 applications for one process group.

Speaks the worker wire protocol (docs/worker-protocol.md): control messages are JSON lines on the
Node IPC channel (fd in NODE_CHANNEL_FD); requests arrive as keep-alive HTTP/1.1 on a Unix socket
per realm, each carrying its job (script, SCRIPT_NAME, PATH_INFO, groups) in one header.

Application groups, as in mod_wsgi: %{GLOBAL} ('') is this process's main interpreter; any other
group gets its own sub-interpreter in this process (CPython's _xxsubinterpreters, non-isolated so it
may run threads; 3.11 tested). C extensions that do not support sub-interpreters belong in
%{GLOBAL}, exactly as mod_wsgi documents. Where a Python offers no sub-interpreters, each group runs
in a child process of this worker instead (`--realm`).

The package, in the order a request flows (gunicorn's split: workers/base, http/body, http/wsgi):
  protocol   constants shared with the TypeScript side (checked by test/unit/python-protocol)
  channel    the control channel and structured log lines
  scripts    the script cache: load, reload by mtime, preload
  request    the request head off the socket and wsgi.input
  response   start_response, write, wsgi.file_wrapper, error answers
  wsgi       environ building and the call of the application
  realm      one application group's socket and its request threads (leader and followers)
  isolation  application groups in sub-interpreters or child processes
  worker     the control loop: init, ready, ensure-app-group, graceful shutdown

Standard library only; Python >= 3.9.
"""
