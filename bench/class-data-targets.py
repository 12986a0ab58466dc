#!/usr/bin/env python3
"""The class-data rows of issue 20's targets, A and B alternating in one run, ratios pair by pair.

    bench/class-data-targets.py start   [--java-home DIR] [--app spring-boot4|quarkus] [--rounds N]
    bench/class-data-targets.py reload  [--java-home DIR] [--rounds N] [--workers 4] [--skip-same-jar | --train-first-only]

start:  one herd master (1 worker, worker.classData on, its archive trained first) against `java -jar` of the same
        jar on the same java, in turn: `java -jar` from exec to its first 200; herd's restarted worker from its
        spawn to READY=1 (the master's "ready after N ms"). Each side's PSS (/proc/PID/smaps_rollup) once ready.
reload: two herd masters of the Spring Boot 4.1 app, WORKERS each, one with class data (trained first), one
        without, each on its own copy of the jar; in turn `herd reload` of each, timed from the command to the
        master's "rolling restart done" line: first with the same jar, then to a new build of it (an entry
        appended to the jar, which changes its bytes and so its key: extraction and training happen during that
        reload, beside the pool, and the reload's later workers get the archive if it is ready by their start).
        The class-data master's training of each new build is awaited before the next pair. Then again to a new
        build, the class-data master with `herd reload --train-first`: timed whole (train + reload), and from its
        "class data ready" line to the end (the reload alone), against a plain reload of the master without.
Prints medians (ranges) and the ratio of medians, plus the median of the pairwise ratios. Needs the apps built
(mvn -B -DskipTests package). Loopback only; stops what it started. Standard library only; not run by CI.
"""
import argparse, json, os, re, signal, statistics, subprocess, sys, tempfile, threading, time, zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frameworks  # noqa: E402  (the apps, ports, GET, PSS and stop helpers of bench/frameworks.sh)

HOME = frameworks.HOME
HERD = os.path.join(HOME, "bin", "herd")
READY = re.compile(r"worker-\d+ \(pid (\d+)\) ready after (\d+) ms")
TRAINED = r"class-data: trained \S+ in"


class Master:
    """bin/herd run of one app, its log read on a thread; talks to it with bin/herd on its admin socket."""

    def __init__(self, work, java_home, jar, worker, workers, class_data):
        os.makedirs(work, exist_ok=True)
        self.sock = os.path.join(work, "herd.sock")
        self.config = os.path.join(work, "herd.json")
        self.lines = []
        self.times = []  # when each line was read (time.monotonic())
        with open(self.config, "w") as f:
            json.dump({"workers": workers, "readyTimeout": "5m", "classDataDirectory": os.path.join(work, "cache"),
                       "worker": dict(worker, jar=jar, classData=class_data)}, f)
        self.proc = subprocess.Popen([HERD, "run", "-c", self.config, "--listen", "127.0.0.1:0", "--admin-socket",
                                      self.sock], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, JAVA_HOME=java_home), start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.times.append(time.monotonic())
            self.lines.append(line.rstrip("\n"))

    def count(self, pattern):
        return sum(1 for line in list(self.lines) if re.search(pattern, line))

    def wait_for(self, pattern, count=1, timeout=600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(pattern) >= count:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)  # the polling interval
        raise SystemExit("timed out waiting for /%s/ x%d:\n%s" % (pattern, count, "\n".join(self.lines[-40:])))

    def ready_lines(self):
        return [m for m in (READY.search(line) for line in list(self.lines)) if m]

    def command(self, verb, *flags, done=r"rolling restart done"):
        """Runs `herd VERB FLAGS` and waits for the rolling restart it starts to end; its milliseconds."""
        before = self.count(done)
        self.started = time.monotonic()
        subprocess.run([HERD, verb, *flags, "--admin-socket", self.sock], check=True, stdout=subprocess.DEVNULL)
        self.wait_for(done, before + 1)
        return (time.monotonic() - self.started) * 1000

    def read_at(self, pattern, after):
        """When the first line matching pattern that came after monotonic time `after` was read."""
        for at, line in zip(list(self.times), list(self.lines)):
            if at >= after and re.search(pattern, line):
                return at
        raise SystemExit("no /%s/ after the command" % pattern)

    def stop(self):
        frameworks.stop(self.proc)


def plain(java, app):
    jar, port_flag, _, path = frameworks.APPS[app]
    port = frameworks.free_port()
    start = time.monotonic()
    proc = subprocess.Popen([java, port_flag % port, "-jar", os.path.join(HOME, jar)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        frameworks.wait_for(lambda: frameworks.get(port, path), 600, "%s answering on %d" % (app, port))
        return (time.monotonic() - start) * 1000, frameworks.pss_mb(proc.pid)
    finally:
        frameworks.stop(proc)


def worker_part(app):
    jar, port_flag, extra, _ = frameworks.APPS[app]
    worker = {"jvmOptions": [port_flag % frameworks.free_port()]}
    if "appPort" in extra:
        worker["appPort"] = frameworks.free_port()
        worker["jvmOptions"] = [port_flag % worker["appPort"]]
    return os.path.join(HOME, jar), worker


def fmt(values, unit=""):
    return "%.0f%s (%.0f-%.0f)" % (statistics.median(values), unit, min(values), max(values))


def row(label, a, b):
    ratios = [x / y for x, y in zip(a, b)]
    return "| %s | %s | %s | %.2fx | %.2fx (%.2f-%.2f) |" % (label, fmt(a), fmt(b), statistics.median(a)
                                                            / statistics.median(b), statistics.median(ratios),
                                                            min(ratios), max(ratios))


HEADER = ("| figure | A median (range) | B median (range) | A / B (medians) | A / B pairwise, median (range) |\n"
          "|---|---|---|---|---|")


def start_section(args, scratch):
    java = os.path.join(args.java_home, "bin", "java")
    jar, worker = worker_part(args.app)
    master = Master(os.path.join(scratch, "start"), args.java_home, jar, worker, 1, True)
    try:
        master.wait_for(READY.pattern)
        master.wait_for(TRAINED)
        master.command("restart")  # the first worker with the archive: the warm-up
        herd_ms, herd_pss, plain_ms, plain_pss = [], [], [], []
        for i in range(args.rounds):
            ms, pss = plain(java, args.app)
            plain_ms.append(ms)
            plain_pss.append(pss)
            master.command("restart")
            last = master.ready_lines()[-1]
            herd_ms.append(float(last.group(2)))
            herd_pss.append(frameworks.pss_mb(int(last.group(1))))
            print("round %d: java -jar %.0f ms %.0f MB; herd with class data %.0f ms %.0f MB"
                  % (i + 1, plain_ms[-1], plain_pss[-1], herd_ms[-1], herd_pss[-1]), flush=True)
    finally:
        master.stop()
    print("\n%s, %s: A = herd, 1 worker, class data; B = java -jar, the same jar and java\n" % (
        args.app, os.path.basename(args.java_home)))
    print(HEADER)
    print(row("start to ready (ms)", herd_ms, plain_ms))
    print(row("PSS once ready (MB)", herd_pss, plain_pss))


def new_build(jar, number):
    """Another build of the same app: its bytes change (an entry appended), its classes do not."""
    with zipfile.ZipFile(jar, "a") as z:
        z.writestr("META-INF/herd-bench-build-%d.txt" % number, "build %d\n" % number)


def reload_section(args, scratch):
    app = "spring-boot4"
    source, worker = worker_part(app)
    masters = {}
    for side, class_data in (("with", True), ("without", False)):
        work = os.path.join(scratch, "reload-" + side)
        os.makedirs(work)
        jar = os.path.join(work, "app.jar")
        subprocess.run(["cp", source, jar], check=True)
        masters[side] = Master(work, args.java_home, jar, worker, args.workers, class_data)
    try:
        for m in masters.values():
            m.wait_for(READY.pattern, args.workers)
        masters["with"].wait_for(TRAINED)
        same = {"with": [], "without": []}
        newer = {"with": [], "without": []}
        first = {"train+reload": [], "reload": [], "without": []}
        for i in range(0 if args.skip_same_jar or args.train_first_only else args.rounds):
            for side in ("with", "without"):
                same[side].append(masters[side].command("reload"))
            print("round %d, same jar: with %.0f ms, without %.0f ms" % (i + 1, same["with"][-1],
                                                                         same["without"][-1]), flush=True)
        for i in range(0 if args.train_first_only else args.rounds):
            for side in ("with", "without"):
                m = masters[side]
                trained = m.count(TRAINED)
                new_build(os.path.join(os.path.dirname(m.config), "app.jar"), i + 1)
                newer[side].append(m.command("reload"))
                if side == "with":
                    m.wait_for(TRAINED, trained + 1)  # its training ends before the other side's reload
            print("round %d, new build: with %.0f ms, without %.0f ms" % (i + 1, newer["with"][-1],
                                                                          newer["without"][-1]), flush=True)
        for i in range(args.rounds):
            for side in ("with", "without"):
                m = masters[side]
                new_build(os.path.join(os.path.dirname(m.config), "app.jar"), 100 + i)
                if side == "with":
                    total = m.command("reload", "--train-first")
                    trained = m.read_at(r"reload: class data ready", m.started)
                    first["train+reload"].append(total)
                    first["reload"].append(total - (trained - m.started) * 1000)
                else:
                    first["without"].append(m.command("reload"))
            print("round %d, new build, --train-first: train + reload %.0f ms (reload alone %.0f ms), without "
                  "class data %.0f ms" % (i + 1, first["train+reload"][-1], first["reload"][-1],
                                          first["without"][-1]), flush=True)
    finally:
        for m in masters.values():
            m.stop()
    print("\nrolling reload of %d Spring Boot 4.1 workers, %s: A = with class data, B = without\n"
          % (args.workers, os.path.basename(args.java_home)))
    print(HEADER)
    if same["with"]:
        print(row("reload, same jar (ms)", same["with"], same["without"]))
    if newer["with"]:
        print(row("reload to a new build (ms)", newer["with"], newer["without"]))
    print(row("reload --train-first to a new build, train + reload (ms)", first["train+reload"], first["without"]))
    print(row("reload --train-first to a new build, the reload alone (ms)", first["reload"], first["without"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("section", choices=["start", "reload"])
    parser.add_argument("--java-home", default="/usr/lib/jvm/temurin-25-jdk-amd64")
    parser.add_argument("--app", default="spring-boot4", choices=sorted(frameworks.APPS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skip-same-jar", action="store_true", help="reload: only the new-build rows")
    parser.add_argument("--train-first-only", action="store_true", help="reload: only the --train-first rows")
    args = parser.parse_args()
    subprocess.run([HERD, "--version"], check=True, capture_output=True)
    with open("/proc/loadavg") as f:
        print("load average at start: %s" % f.read().split()[0], flush=True)
    with tempfile.TemporaryDirectory(prefix="herd-class-data-targets-") as scratch:
        (start_section if args.section == "start" else reload_section)(args, scratch)


if __name__ == "__main__":
    main()
