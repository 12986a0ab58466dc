#!/usr/bin/env python3
"""Holds a listening socket across restarts of herd, the way systemd holds herd.socket's across restarts of
herd.service, for SystemdIT. systemd-socket-activate cannot do this: it execs the command, so the socket dies
with the first master.

usage: socket-holder.py LAUNCHER [HERD ARGS...]
Binds 127.0.0.1:0 (backlog 511) and prints "holder: port N". Then reads commands on stdin, one per line:
  start   fork; in the child put the socket on fd 3, set LISTEN_FDS=1 and LISTEN_PID to the child's own pid
          (bin/herd execs the JVM, so the pid stays the master's), exec LAUNCHER ARGS; prints "holder: started PID"
  stop    SIGTERM the running herd, wait for it; prints "holder: PID exited with status S"
At end of input it SIGKILLs a herd still running and exits.
"""
import os
import signal
import socket
import sys

launcher, args = sys.argv[1], sys.argv[2:]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(511)
print(f"holder: port {listener.getsockname()[1]}", flush=True)

child = 0
for command in sys.stdin:
    command = command.strip()
    if command == "start":
        pid = os.fork()
        if pid == 0:
            if listener.fileno() != 3:
                os.dup2(listener.fileno(), 3)
            os.set_inheritable(3, True)  # Python's sockets are close-on-exec; dup2 onto itself would keep that
            env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
            os.execve(launcher, [launcher] + args, env)
        child = pid
        print(f"holder: started {child}", flush=True)
    elif command == "stop" and child:
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
        print(f"holder: {child} exited with status {os.waitstatus_to_exitcode(status)}", flush=True)
        child = 0
    else:
        print(f"holder: unknown command {command!r}", flush=True)

if child:
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
