"""The servers under test, behind one small interface, each started as a child of the driver on 127.0.0.1.

  herd              bin/herd run --app echo|http (the master and N worker JVMs)
  plain-jvm         the same worker JVM command herd runs (read from a live herd worker's /proc/PID/cmdline),
                    started N times on one shared socket by bench/plain-jvm.py, with no master, no notify
                    socket, no lifeline: herd's data path without herd
  nginx             Debian's nginx 1.22, N worker processes, `return 200`
  gunicorn-sync     Debian's gunicorn 20.1, N sync workers, a one-line WSGI app
  gunicorn-gthread  the same with --worker-class gthread

Every response of the HTTP servers names the pid that served it. A server is started with start(), is serving
when probe.ListenProbe sees its workers wait on the socket, and is stopped with stop() (SIGTERM to the master,
then SIGKILL to whatever of its tree is left after a deadline).
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time

from . import probe, procs

GUNICORN_APP = '''import os

def app(environ, start_response):
    body = b"hello from gunicorn (pid %d)\\n" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''

NGINX_CONF = '''{user}
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "hello from nginx (pid $pid)\\n"; }}
    }}
}}
'''


class Server:
    """One server under test. Subclasses say how to start it (command) and how many threads it runs."""

    kind = "?"
    protocol = "http"   # what a client speaks to it: "http" or "echo"

    def __init__(self, bench, workers):
        self.bench = bench
        self.workers = workers
        self.port = bench.ports.next()
        self.proc = None
        self.log = None
        self.dir = bench.scratch(f"{self.kind}-{self.port}")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    @property
    def master(self):
        return self.proc.pid

    def command(self):
        raise NotImplementedError

    def start(self, env=None):
        argv = self.command()
        self.bench.record_command(self.kind, argv)
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env, cwd=self.dir)
        self.bench.started(self)
        return self

    def worker_pids(self):
        """The master's descendants (its workers), the master itself excluded."""
        return procs.descendants(self.master)

    def all_pids(self):
        return [self.master] + self.worker_pids()

    def wait_serving(self, count=None, timeout=120):
        """Waits until count (default: all) workers wait on the socket; returns their pids."""
        count = self.workers if count is None else count
        listen = probe.ListenProbe(self.port)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with status {self.proc.returncode} while starting; "
                                   f"the end of its log:\n{self.log_tail()}")
            serving = listen.serving(self.worker_pids())
            return serving if len(serving) >= count else None

        return procs.wait_until(ready, timeout, what=f"{self.kind}: {count} workers serving")

    def log_tail(self, lines=15):
        with open(self.log.name, "rb") as f:
            return b"".join(f.readlines()[-lines:]).decode(errors="replace")

    def reload(self):
        """Every server here reloads on SIGHUP (herd: the same as `herd reload`)."""
        os.kill(self.master, signal.SIGHUP)

    def stop(self, timeout=60):
        """SIGTERM to the master; SIGKILL to what is left of its tree after timeout seconds. Not a measurement."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            procs.kill_tree(self.master, grace=timeout)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        procs.reap_orphans(keep=self.bench.popen_pids())
        self.bench.stopped(self)
        self.log.close()
        self.proc = None


class Herd(Server):
    kind = "herd"

    def __init__(self, bench, workers, app="echo", config=None, protocol=None, log_rate=None):
        """app None: the config's worker runs (speaking `protocol`). log_rate: the master's output is read at most
        that many bytes a second, as a slow journald or a paused `herd run | less` reads it."""
        self.app = app
        self.protocol = protocol or ("echo" if app == "echo" else "http")
        self.config = config
        self.log_rate = log_rate
        super().__init__(bench, workers)
        self.admin_socket = os.path.join(self.dir, "herd.sock")

    def start(self, env=None):
        if self.log_rate is None:
            return super().start(env)
        argv = self.command()
        self.bench.record_command(self.kind, argv)
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, cwd=self.dir)
        threading.Thread(target=self._read_slowly, args=(self.proc.stdout, self.log), daemon=True).start()
        self.bench.started(self)
        return self

    def _read_slowly(self, pipe, log):
        chunk = max(1, self.log_rate // 10)
        try:
            while data := pipe.read1(chunk):
                log.write(data)
                log.flush()
                time.sleep(0.1)  # the reader's pace: log_rate bytes a second
        except (OSError, ValueError):
            pass  # stop() closed the log: the master is gone

    def command(self):
        argv = [self.bench.herd, "run", "--listen", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                "--admin-socket", self.admin_socket]
        if self.config is not None:
            path = os.path.join(self.dir, "herd.json")
            with open(path, "w") as f:
                json.dump(self.config, f)
            argv += ["-c", path]
        return argv + (["--app", self.app] if self.app is not None else [])

    def admin(self, request, timeout=120):
        """One request on the admin socket; the reply as a dict."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(self.admin_socket)
            s.sendall(json.dumps(request).encode() + b"\n")
            return json.loads(s.makefile("rb").readline())


class PlainJvm(Server):
    """N copies of herd's own worker command on one socket, without herd (bench/plain-jvm.py binds and forks)."""

    kind = "plain-jvm"

    def __init__(self, bench, workers, worker_argv):
        self.worker_argv = worker_argv
        super().__init__(bench, workers)

    def command(self):
        return ["python3", os.path.join(self.bench.bench_dir, "plain-jvm.py"), "--listen",
                f"127.0.0.1:{self.port}", "--processes", str(self.workers), "--"] + self.worker_argv

    def start(self, env=None):
        # Outside herd: no HERD_* variables, so the worker runs without notify socket or lifeline.
        clean = {k: v for k, v in os.environ.items() if not k.startswith("HERD_") and k != "NOTIFY_SOCKET"}
        return super().start(env=clean)


class Nginx(Server):
    kind = "nginx"

    def command(self):
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""  # as root the workers would be nobody anyway
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(user=user, workers=self.workers, prefix=self.dir, port=self.port))
        return ["nginx", "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")]


class Gunicorn(Server):
    kind = "gunicorn-sync"
    worker_class = "sync"

    def command(self):
        with open(os.path.join(self.dir, "app.py"), "w") as f:
            f.write(GUNICORN_APP)
        return ["gunicorn", "--chdir", self.dir, "--workers", str(self.workers), "--worker-class",
                self.worker_class] + self.extra_args() + ["--bind", f"127.0.0.1:{self.port}",
                                                          "--log-level", "warning", "app:app"]

    def extra_args(self):
        return []


class GunicornThreads(Gunicorn):
    kind = "gunicorn-gthread"
    worker_class = "gthread"

    def __init__(self, bench, workers, threads):
        self.threads = threads
        super().__init__(bench, workers)

    def extra_args(self):
        return ["--threads", str(self.threads)]


def make(bench, kind, workers, app="echo", **options):
    """A server of the given kind; app only matters for herd (nginx and gunicorn always speak HTTP)."""
    if kind == "herd":
        return Herd(bench, workers, app=app, config=options.get("config"))
    if kind == "plain-jvm":
        return PlainJvm(bench, workers, bench.plain_jvm_argv())
    if kind == "nginx":
        return Nginx(bench, workers)
    if kind == "gunicorn-sync":
        return Gunicorn(bench, workers)
    if kind == "gunicorn-gthread":
        return GunicornThreads(bench, workers, options.get("threads", bench.gthread_threads))
    raise ValueError(f"unknown server {kind}")


def measure_stop(server, timeout=60):
    """Milliseconds from SIGTERM to the master until the master and every worker have exited."""
    tree = server.all_pids()
    start = time.monotonic()
    os.kill(server.master, signal.SIGTERM)
    procs.wait_until(lambda: all(procs.is_gone(p) for p in tree), timeout, what=f"{server.kind}: every process gone after SIGTERM")
    elapsed = (time.monotonic() - start) * 1000
    server.stop()
    return elapsed
