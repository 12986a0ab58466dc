"""bench/frameworks.sh: a real app under herd (1 worker) against the same jar under `java -jar`, in one run.

For Spring Boot 4.1 on Tomcat with herd's starter (docs/spring-boot4-app) and Quarkus 3.33 through herd's agent
(docs/frameworks/quarkus-app, worker.appPort), alternating, ROUNDS times each, with the same JVM (the default java)
and the same JVM options (none) on both sides, no class-data archive on either:
  - start to ready: `java -jar` from exec to its first 200 on GET /hello; herd from the worker's start to its
    READY (the master's "ready after N ms" line: the starter at ACCEPTING_TRAFFIC, the agent at the first accept);
  - after 2,000 warm-up requests, `wrk -t2 -c16 -d10s` on the app's page (/ or /hello): requests a second and p99;
  - the serving JVM's PSS (/proc/PID/smaps_rollup) after the load.
Prints medians (and ranges) and the herd / java -jar ratios. Loopback only; stops what it started. Not run by CI.

  bench/frameworks.sh [--rounds N] [--apps spring-boot4,quarkus]
"""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS = {
    # name: (jar, the app's own port flag, herd config's worker part beyond the jar, the path it answers)
    "spring-boot4": ("docs/spring-boot4-app/target/herd-spring-boot4-app-0.1.0.jar", "-Dserver.port=%d", {}, "/"),
    "quarkus": ("docs/frameworks/quarkus-app/target/quarkus-app-0.1.0-runner.jar", "-Dquarkus.http.port=%d",
                {"appPort": None}, "/hello"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)  # the polling interval
    raise TimeoutError(what)


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def warm_and_load(port, path):
    for _ in range(2000):
        get(port, path)
    out = subprocess.run(["wrk", "-t2", "-c16", "-d10s", "--latency", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Socket errors: (.*)", out)
    return rps, p99_ms, errors.group(1) if errors else "none"


def pss_mb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def plain(app):
    jar, port_flag, _, path = APPS[app]
    port = free_port()
    start = time.monotonic()
    proc = subprocess.Popen(["java", port_flag % port, "-jar", os.path.join(HOME, jar)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: get(port, path), 300, f"{app} answering on {port}")
        ready_ms = (time.monotonic() - start) * 1000
        rps, p99, errors = warm_and_load(port, path)
        return {"ready_ms": ready_ms, "rps": rps, "p99_ms": p99, "pss": pss_mb(proc.pid), "errors": errors}
    finally:
        stop(proc)


def under_herd(app, scratch):
    jar, port_flag, extra, path = APPS[app]
    app_port = free_port()
    # No class-data archive on either side (issue 18's comparison): herd trains one by default.
    worker = {"jar": os.path.join(HOME, jar), "jvmOptions": [port_flag % app_port], "classData": False}
    if "appPort" in extra:
        worker["appPort"] = app_port
    config = os.path.join(scratch, f"{app}.json")
    with open(config, "w") as f:
        import json
        json.dump({"workers": 1, "readyTimeout": "5m", "worker": worker}, f)
    log_path = os.path.join(scratch, f"{app}.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([os.path.join(HOME, "bin/herd"), "run", "--listen", "127.0.0.1:0", "-c", config,
                             "--admin-socket", os.path.join(scratch, "herd.sock")],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def line(pattern):
            with open(log_path) as f:
                match = re.search(pattern, f.read())
            return match
        port = int(wait_for(lambda: line(r"listening on \S+:(\d+) "), 120, "herd listening").group(1))
        ready = wait_for(lambda: line(r"worker-1 \(pid (\d+)\) ready after (\d+) ms"), 300, "worker-1 ready")
        rps, p99, errors = warm_and_load(port, path)
        return {"ready_ms": float(ready.group(2)), "rps": rps, "p99_ms": p99, "pss": pss_mb(int(ready.group(1))),
                "errors": errors}
    finally:
        stop(proc)
        log.close()


def median_range(values):
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def main():
    parser = argparse.ArgumentParser(prog="bench/frameworks.sh")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--apps", default="spring-boot4,quarkus")
    args = parser.parse_args()
    subprocess.run([os.path.join(HOME, "bin/herd"), "--version"], check=True, capture_output=True)
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[0]}; java: "
              + subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="herd-frameworks-") as scratch:
        rows = []
        for app in args.apps.split(","):
            runs = {"java -jar": [], "herd": []}
            for i in range(args.rounds):
                runs["java -jar"].append(plain(app))
                runs["herd"].append(under_herd(app, scratch))
                print(f"{app} round {i + 1}: java -jar {runs['java -jar'][-1]}; herd {runs['herd'][-1]}", flush=True)
            med = {side: {k: statistics.median(r[k] for r in rs) for k in ("ready_ms", "rps", "p99_ms", "pss")}
                   for side, rs in runs.items()}
            for key, label in (("ready_ms", "start to ready (ms)"), ("rps", "requests/s (wrk -t2 -c16 10 s)"),
                               ("p99_ms", "p99 latency (ms)"), ("pss", "PSS (MB)")):
                rows.append(f"| {app} | {label} | {median_range([r[key] for r in runs['java -jar']])} | "
                            f"{median_range([r[key] for r in runs['herd']])} | "
                            f"{med['herd'][key] / med['java -jar'][key]:.2f}x |")
        print("\n| app | figure | `java -jar` median (range) | herd, 1 worker | herd / java -jar |")
        print("|---|---|---|---|---|")
        print("\n".join(rows))


if __name__ == "__main__":
    sys.exit(main())
