"""The machine and the versions a run measured, for the report's first table."""
import os
import platform
import re
import subprocess


def output(argv, pattern=None):
    """The first line of argv's output (stdout and stderr), or the first match of pattern in it; '?' on failure."""
    try:
        text = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    if pattern:
        m = re.search(pattern, text, re.M)
        return m.group(1).strip() if m else "?"
    return text.strip().splitlines()[0] if text.strip() else "?"


def installed_jdks():
    """'DIR: version' of each JDK under /usr/lib/jvm (symlinked duplicates once)."""
    found, seen = [], set()
    root = "/usr/lib/jvm"
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        java = os.path.join(root, name, "bin", "java")
        real = os.path.realpath(java)
        if os.path.exists(java) and real not in seen:
            seen.add(real)
            found.append(f"{name}: " + output([java, "-version"], r'version "([^"]+)"'))
    return found


def describe(home):
    cpu = output(["lscpu"], r"^Model name:\s*(.+)$")
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    os_name = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            os_name = m.group(1) if m else "?"
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    jdks = installed_jdks()
    commit = output(["git", "-C", home, "rev-parse", "--short", "HEAD"])
    # herd's own code: changes to the benchmarks or the docs do not make the herd measured a different one
    changes = subprocess.run(["git", "-C", home, "status", "--porcelain", "--untracked-files=no", "--", ".",
                              ":!bench", ":!docs"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
    return {
        "CPU": cpu,
        "cores": os.cpu_count(),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "OS": os_name,
        "JDK herd ran on": output([java, "-version"], r'version "([^"]+)"') + " (" + output([java, "-version"], r"^(OpenJDK Runtime Environment.*|Java\(TM\).*)$") + ")",
        "JDKs installed": "; ".join(jdks),
        "herd": output([os.path.join(home, "bin", "herd"), "--version"]) + f", commit {commit}"
                + (" with uncommitted changes" if changes else ""),
        "nginx": output(["nginx", "-v"], r"nginx/(\S+)"),
        "gunicorn": output(["gunicorn", "--version"], r"gunicorn \(version ([^)]+)\)"),
        "python (gunicorn)": output(["/usr/bin/python3", "--version"], r"Python (\S+)"),
        "wrk": output(["wrk", "--version"], r"^wrk (\S+)"),
        "hyperfine": output(["hyperfine", "--version"], r"hyperfine (\S+)"),
        "gnuplot": output(["gnuplot", "--version"], r"gnuplot (.+)$"),
        "load average at start": " ".join(open("/proc/loadavg").read().split()[:3]),
    }
