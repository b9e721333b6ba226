# The title `ps` shows for a Python worker, as Node's process.title gives the Node ones, with the
# standard library only (no setproctitle, no ctypes: importing ctypes costs every worker ~0.6 MiB).
# The thread name (`ps -o comm`, top) is /proc/self/comm; the command line (`ps -o args`,
# /proc/<pid>/cmdline) is whatever lies in the memory between arg_start and arg_end, whose bounds
# /proc/self/stat gives (Linux 3.5+) and which /proc/self/mem lets a process write. CPython works
# from its own copies of argv (sys.argv, sys.executable), so nothing reads that memory afterwards.
# As libuv does for Node, the title is cut to the room the original command line had.
import sys


def set_title(title):
    """Best effort: where /proc does not allow it, the title stays as it was."""
    if not title or not sys.platform.startswith('linux'):
        return
    data = title.encode('utf-8', 'replace')
    try:
        # comm holds 15 bytes; the main thread's is the one /proc/<pid>/comm shows.
        with open('/proc/self/comm', 'wb') as comm:
            comm.write(data[:15])
    except OSError:
        pass
    try:
        with open('/proc/self/stat', 'rb') as stat:
            # Fields after the command name (which may hold spaces and ends at the last ')'); state is field 3.
            fields = stat.read().rsplit(b')', 1)[1].split()
        arg_start, arg_end = int(fields[45]), int(fields[46])
        size = arg_end - arg_start
        if size <= 1:
            return
        text = data[:size - 1]
        # NULs to the end: the area's last byte stays NUL, so the kernel reads exactly this area.
        with open('/proc/self/mem', 'r+b', buffering=0) as mem:
            mem.seek(arg_start)
            mem.write(text + b'\0' * (size - len(text)))
    except (OSError, IndexError, ValueError):
        pass
