#!/usr/bin/env python3
"""The start-up cost of herd's agent (worker.appPort): an unchanged JDK HttpServer app (the tests' JdkHttpServerApp)
started plain, `java -cp CLASSES App PORT`, and as herd starts it with the agent: fd 0 a listening socket, fd 3 a
lifeline pipe, fd 4 the notify pipe, HERD_MASTER_PID set, `--add-opens ... -javaagent:herd-agent.jar=appPort=PORT`.
Each run is timed from spawn to the first HTTP answer (plain: on the app's port; agent: on the shared socket).
Runs alternate, so a machine's changing load falls on both sides alike; prints each side's median.

usage: bench/agent-startup.py [RUNS] (default 15); JAVA_HOME picks the JDK. Needs a build (mvn -pl supervisor -am
package, then test-compile for the app: mvn -pl supervisor -am test-compile)."""
import os, socket, statistics, subprocess, sys, time, http.client

home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
java = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64"), "bin", "java")
agent = os.path.join(home, "supervisor/target/lib/herd-agent.jar")
classes = os.path.join(home, "supervisor/target/test-classes")
app = "dev.herd.it.apps.JdkHttpServerApp"
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ms(pid):
    """CPU time (user + system) a process has used so far: steadier than wall time on a loaded machine."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def first_answer(port, deadline):
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/hello")
            if c.getresponse().status == 200:
                return time.monotonic()
        except OSError:
            time.sleep(0.002)
    raise SystemExit("no answer on port %d" % port)


def plain():
    port = free_port()
    t0 = time.monotonic()
    p = subprocess.Popen([java, "-cp", classes, app, str(port)], stdout=subprocess.DEVNULL)
    try:
        return first_answer(port, t0 + 120) - t0, cpu_ms(p.pid)
    finally:
        p.kill(); p.wait()


def with_agent():
    app_port = free_port()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0)); listener.listen(128)
    life_r, life_w = os.pipe(); note_r, note_w = os.pipe()

    def descriptors():
        os.dup2(listener.fileno(), 0); os.dup2(life_r, 3); os.dup2(note_w, 4)

    env = dict(os.environ, HERD_MASTER_PID=str(os.getpid()), HERD_NOTIFY_FD="4", HERD_WORKER_SLOT="1")
    t0 = time.monotonic()
    p = subprocess.Popen([java, "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
                          "-javaagent:%s=appPort=%d" % (agent, app_port), "-cp", classes, app, str(app_port)],
                         preexec_fn=descriptors, pass_fds=(3, 4), env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        return first_answer(listener.getsockname()[1], t0 + 120) - t0, cpu_ms(p.pid)
    finally:
        p.kill(); p.wait()
        for fd in (life_r, life_w, note_r, note_w):
            os.close(fd)
        listener.close()


plain_ms, agent_ms, plain_cpu, agent_cpu = [], [], [], []
for _ in range(runs):
    wall, cpu = plain()
    plain_ms.append(wall * 1000); plain_cpu.append(cpu)
    wall, cpu = with_agent()
    agent_ms.append(wall * 1000); agent_cpu.append(cpu)
p, a = statistics.median(plain_ms), statistics.median(agent_ms)
pc, ac = statistics.median(plain_cpu), statistics.median(agent_cpu)
print("%s, %d runs each, alternating; load average at the end: %.1f" % (java, runs, os.getloadavg()[0]))
print("start to first answer, plain java:        median %.0f ms (min %.0f), CPU median %.0f ms"
      % (p, min(plain_ms), pc))
print("start to first answer, with herd's agent: median %.0f ms (min %.0f), CPU median %.0f ms; %.2fx wall, %.2fx CPU"
      % (a, min(agent_ms), ac, a / p, ac / pc))
