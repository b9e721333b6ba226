# Entry of the CPython worker (started by the proxy with the Node IPC channel; `--realm` for an
# application group's child process). The code lives in the wsgi_host package so that its bytecode
# comes from __pycache__: a file run as __main__ is compiled on every start, which left ~2.4 MiB more
# RSS in every worker process.
from wsgi_host.worker import main

main()
