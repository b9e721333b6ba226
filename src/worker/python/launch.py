# Entry of the CPython worker (started by the proxy with the Node IPC channel). It imports wsgi_host as
# a module so that its bytecode comes from __pycache__: a file run as __main__ is compiled on every
# start, which left ~2.4 MiB more RSS in every worker process.
import wsgi_host

wsgi_host.main()
