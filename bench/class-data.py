#!/usr/bin/env python3
"""worker.classData side by side: a worker's start to READY=1 and its PSS, with and without its app's class data.

    bench/class-data.py [--java-home DIR] [--restarts N] [--workers N] [--jar PATH [--extract]] [-- ARGS...]

For each mode (off, on) it starts one herd master (bin/herd run) with herd's echo app as a mainClass worker (or
--jar PATH as worker.jar, with ARGS; --extract: a Spring Boot fat jar extracted first with -Djarmode=tools), waits
for its workers (and, with class data, for the trained archive), then does N rolling restarts; after each it takes
the new workers' "ready after N ms" from the master's log and their PSS from /proc/PID/smaps_rollup. Prints
medians (with ranges) as a Markdown table. Modes alternate restart by restart would share one master; two masters
in turn is simpler and the machine's load drifts less than the difference measured. Loopback only; it stops every
master it started. Standard library only; not run by CI.
"""
import argparse, json, os, re, signal, statistics, subprocess, sys, tempfile, threading, time

HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERD = os.path.join(HOME, "bin", "herd")
READY = re.compile(r"worker-\d+ \(pid (\d+)\) ready after (\d+) ms")


class Master:
    def __init__(self, work, class_data, workers, java_home, jar, args):
        self.sock = os.path.join(work, "herd.sock")
        config = os.path.join(work, "herd.json")
        with open(config, "w") as f:
            json.dump({"workers": workers, "classDataDirectory": os.path.join(work, "cache"),
                       "worker": dict({"jar": jar, "args": args} if jar else
                                      {"mainClass": "dev.herd.worker.app.WorkerMain", "args": ["echo"]},
                                      classData=class_data)}, f)
        env = dict(os.environ, JAVA_HOME=java_home)
        self.proc = subprocess.Popen([HERD, "run", "-c", config, "--listen", "127.0.0.1:0", "--admin-socket",
                                      self.sock], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern, count=1, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in (re.search(pattern, l) for l in list(self.lines)) if m]
            if len(found) >= count:
                return found
            time.sleep(0.1)  # polling interval
        raise SystemExit("timed out waiting for /%s/:\n%s" % (pattern, "\n".join(self.lines[-30:])))

    def restart(self):
        before = len(self.wait_for(r"rolling restart done", 0))
        subprocess.run([HERD, "restart", "--admin-socket", self.sock], check=True, stdout=subprocess.DEVNULL)
        self.wait_for(r"rolling restart done", before + 1)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def pss_kb(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def measure(class_data, args):
    work = tempfile.mkdtemp(prefix="herd-class-data-")
    jar = args.jar
    if jar and args.extract:
        subprocess.run([os.path.join(args.java_home, "bin", "java"), "-Djarmode=tools", "-jar", jar, "extract",
                        "--destination", os.path.join(work, "app")], check=True, stdout=subprocess.DEVNULL)
        jar = os.path.join(work, "app", os.path.basename(jar))
    master = Master(work, class_data, args.workers, args.java_home, jar, args.args)
    try:
        master.wait_for(READY.pattern, args.workers)
        if class_data:
            master.wait_for(r"class-data: trained \S+ in")
        ready_ms, pss = [], []
        for _ in range(args.restarts):
            seen = len(master.wait_for(READY.pattern, 0))
            master.restart()
            new = [m for m in (READY.search(l) for l in master.lines) if m][seen:]
            ready_ms += [int(m.group(2)) for m in new]
            time.sleep(1)  # let the new workers settle before reading their memory (a measurement, not a sync)
            pss += [pss_kb(int(m.group(1))) / 1024 for m in new[-args.workers:]]
        return ready_ms, pss
    finally:
        master.stop()
        subprocess.run(["rm", "-rf", work])


def fmt(values, unit):
    return "%.3g %s (%.3g–%.3g)" % (statistics.median(values), unit, min(values), max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--java-home", default=os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"))
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--jar", help="an executable jar as worker.jar instead of the echo app")
    parser.add_argument("--extract", action="store_true", help="extract the Spring Boot fat jar first")
    parser.add_argument("args", nargs="*", help="worker.args for --jar")
    args = parser.parse_args()
    off = measure(False, args)
    on = measure(True, args)
    app = ("%s%s" % (os.path.basename(args.jar), " extracted" if args.extract else "")) if args.jar \
        else "echo as mainClass"
    print("| figure (%s, %s, %d workers, %d restarts) | without | with class data | ratio |"
          % (os.path.basename(args.java_home), app, args.workers, args.restarts))
    print("|---|---|---|---|")
    print("| worker start to READY=1 | %s | %s | %.2fx |" % (fmt(off[0], "ms"), fmt(on[0], "ms"),
                                                          statistics.median(on[0]) / statistics.median(off[0])))
    print("| worker PSS, idle | %s | %s | %.2fx |" % (fmt(off[1], "MB"), fmt(on[1], "MB"),
                                                   statistics.median(on[1]) / statistics.median(off[1])))


if __name__ == "__main__":
    main()
