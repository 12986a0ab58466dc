#!/usr/bin/env bash
# How many workers wake up per connection on herd's one shared listening socket (a thundering herd?).
# Three pools of N workers, C connections made one after another (each one answered and closed before the next):
#   selector  N Python workers that accept the way Netty and Tomcat's poller do: socket switched to non-blocking,
#             epoll, accept until EAGAIN (supervisor/src/test/resources/selector_worker.py counts its own wake-ups);
#   blocking  N workers of the built-in http app (Jetty, one acceptor thread blocked in the JDK's accept()) while the
#             socket is blocking, as herd creates it;
#   mixed     the same http workers after a selector worker has made the socket non-blocking (O_NONBLOCK is shared
#             and stays): the JDK's blocking accept() then meets EAGAIN and waits in poll();
#   netty     N workers of the Netty recipe (docs/netty-app): NIO selector, epoll.
# For the JVM pools strace counts the accept() calls in every worker. On a blocking socket each one that returns is a
# wake-up. On a non-blocking one every wake-up ends in exactly one accept() that finds nothing (EAGAIN): the winner
# accepts, then tries once more; a worker woken for nothing finds nothing at once. So wake-ups = EAGAINs, and futile
# ones = EAGAINs - connections accepted. Usage: bench/accept-wakeups.sh [N] [C]   (default 4 workers, 200
# connections). Needs strace and python3, and the reactor built (mvn package); not run by CI.
set -euo pipefail
home=$(cd "$(dirname "$0")/.." && pwd)
workers=${1:-4}
connections=${2:-200}
command -v strace >/dev/null || { echo "needs strace (apt-get install strace)" >&2; exit 1; }
"$home/bin/herd" --version >/dev/null   # builds the jars first if needed

python3 - "$home" "$workers" "$connections" <<'PY'
import json, os, re, signal, socket, subprocess, sys, tempfile, time
home, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
herd = os.path.join(home, "bin/herd")
script = os.path.join(home, "supervisor/src/test/resources/selector_worker.py")
tmp = tempfile.mkdtemp(prefix="herd-wakeups-")
sock = os.path.join(tmp, "herd.sock")
config = os.path.join(tmp, "herd.json")

def write_config(value):
    with open(config, "w") as f:
        json.dump(value, f)

def status():
    out = subprocess.run([herd, "status", "--json", "--admin-socket", sock], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else None

def await_ready(count, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = status()
        if s and len(s["workers"]) == count and all(w["state"] == "ready" for w in s["workers"]):
            return [w["pid"] for w in s["workers"]]
        time.sleep(0.2)
    raise SystemExit("workers not ready in time")

def connect_all(port):
    for _ in range(c):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while s.recv(65536):
                pass

netty = os.path.join(home, "docs/netty-app/target")

def start(selector_workers, app="http"):
    if selector_workers:
        write_config({"workers": selector_workers, "heartbeatTimeout": "0",
                      "worker": {"command": ["/usr/bin/python3", script]}})
    elif app == "netty":
        write_config({"workers": n, "worker": {"mainClass": "dev.herd.example.netty.HelloNetty",
                      "classpath": [netty + "/herd-netty-app-0.1.0.jar", netty + "/lib/*"],
                      "classData": False}})
    else:
        write_config({"workers": n, "app": app})
    log = open(os.path.join(tmp, "herd.log"), "w+")
    p = subprocess.Popen([herd, "run", "--listen", "127.0.0.1:0", "-c", config, "--admin-socket", sock],
                         stderr=log, stdout=log, text=True)
    return p, log

def port_of(log):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log.seek(0)
        m = re.search(r"listening on \S+:(\d+) ", log.read())
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    raise SystemExit("no port")

def stop(p, log):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    log.seek(0)
    return log.read()

def traced(pids, port):
    tracers = [subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=accept,accept4", "-o",
                                 os.path.join(tmp, "strace.%d" % pid), "-p", str(pid)]) for pid in pids]
    time.sleep(2)  # attaching to every thread of each JVM; a measurement script, not a test
    connect_all(port)
    time.sleep(1)
    for t in tracers:
        t.send_signal(signal.SIGINT)
        t.wait()
    accepted = eagain = 0
    for pid in pids:
        for line in open(os.path.join(tmp, "strace.%d" % pid)):
            if "EAGAIN" in line:
                eagain += 1
            elif re.search(r"accept4?\(.*\)\s+= \d+$", line) or re.search(r"accept4? resumed>.*= \d+$", line):
                accepted += 1
    return accepted, eagain

def from_accepts(accepted, eagain):
    """(wake-ups, futile ones) from the accept() results; see the header."""
    return (accepted, 0) if eagain == 0 else (eagain, eagain - accepted)

def report(name, wakeups, futile):
    print("%-9s %d workers, %d connections: %.2f wake-ups per connection, %.2f of them futile"
          % (name, n, c, wakeups / c, futile / c))

# selector: the workers count for themselves
p, log = start(n)
await_ready(n)
connect_all(port_of(log))
out = stop(p, log)
counts = [tuple(map(int, m)) for m in re.findall(r"wakeups (\d+) futile (\d+) accepted (\d+)", out)]
report("selector", sum(w for w, _, _ in counts), sum(f for _, f, _ in counts))

# blocking: the http app on the socket as herd made it
p, log = start(0)
pids = await_ready(n)
accepted, eagain = traced(pids, port_of(log))
stop(p, log)
report("blocking", *from_accepts(accepted, eagain))

# mixed: one selector worker first, then a reload to the http app; O_NONBLOCK stays on the socket
p, log = start(1)
await_ready(1)
port = port_of(log)
write_config({"workers": n, "app": "http"})
subprocess.run([herd, "reload", "--admin-socket", sock], check=True, capture_output=True)
pids = await_ready(n)
accepted, eagain = traced(pids, port)
stop(p, log)
report("mixed", *from_accepts(accepted, eagain))

# netty: a JVM selector worker (the Netty recipe)
p, log = start(0, "netty")
pids = await_ready(n)
accepted, eagain = traced(pids, port_of(log))
stop(p, log)
report("netty", *from_accepts(accepted, eagain))
PY
