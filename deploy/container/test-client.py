"""HTTP clients for deploy/test-container.sh (standard library only, bounded in time and connections).

  get URL                         prints "STATUS FIRST-LINE-OF-BODY"; exit 1 when no response came
  load URL CONNECTIONS SECONDS    keep-alive clients sending GET URL again and again until SIGTERM or SECONDS; writes
                                  $HERD_TEST_LOAD_STARTED once every connection had a response; exit 1 if a
                                  request was lost or none was answered
  inflight URL N METRICS_URL      N requests at once, each on a connection of its own; writes
                                  $HERD_TEST_INFLIGHT_STARTED once herd's listen queue is empty (every connection
                                  taken by a worker, so every request is in flight); exit 1 unless all N got 200

Lost means: an error after the request was sent other than the one a keep-alive client retries by the HTTP/1.1
rules (RFC 9112, 9.3.1): the server closing an idle, reused connection before any byte of the response, which a
draining server does and a client retries on a new connection. A status other than 200 is lost too.
"""
import http.client
import os
import signal
import sys
import threading
import time
import urllib.parse
import urllib.request

TIMEOUT = 30


def split(url):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port, (parts.path or "/") + ("?" + parts.query if parts.query else "")


def get(url):
    host, port, path = split(url)
    try:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        print(response.status, body.splitlines()[0] if body else "")
        return 0
    except OSError as e:
        print("no response:", e)
        return 1


def load(url, connections, seconds):
    host, port, path = split(url)
    stop = threading.Event()
    lock = threading.Lock()
    counts = {"responses": 0, "retried": 0, "reconnects": 0, "lost": 0}
    problems = []
    answered = set()

    def one(index):
        connection, reused = None, False
        while not stop.is_set():
            if connection is None:
                connection, reused = http.client.HTTPConnection(host, port, timeout=TIMEOUT), False
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                connection.close()
                connection = None
                with lock:
                    if reused:  # closed while idle, before any byte of the response: retried
                        counts["retried"] += 1
                    else:
                        counts["lost"] += 1
                        problems.append(f"connection {index}: {e!r} on a new connection")
                continue
            except OSError as e:
                connection.close()
                connection = None
                with lock:
                    counts["lost"] += 1
                    problems.append(f"connection {index}: {e!r}")
                continue
            with lock:
                if response.status == 200:
                    counts["responses"] += 1
                    answered.add(index)
                else:
                    counts["lost"] += 1
                    problems.append(f"connection {index}: status {response.status}")
            reused = True
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
                with lock:
                    counts["reconnects"] += 1

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    marked = False
    while not stop.is_set() and time.monotonic() < deadline:
        if not marked and len(answered) == connections:
            open(os.environ["HERD_TEST_LOAD_STARTED"], "w").write("started\n")
            marked = True
        stop.wait(0.05)
    stop.set()
    for thread in threads:
        thread.join(TIMEOUT + 5)
    print(f"load: {connections} keep-alive connections, {counts['responses']} responses, "
          f"{counts['reconnects']} reconnects after Connection: close, {counts['retried']} requests retried after "
          f"an idle connection closed, {counts['lost']} lost")
    for problem in problems[:10]:
        print("  " + problem)
    return 0 if counts["lost"] == 0 and counts["responses"] > 0 else 1


def listen_queue(metrics_url):
    with urllib.request.urlopen(metrics_url, timeout=TIMEOUT) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("herd_listen_queue_length "):
                return float(line.split()[1])
    return None


def inflight(url, n, metrics_url):
    host, port, path = split(url)
    results = [None] * n
    connected = threading.Barrier(n + 1)

    def one(index):
        try:
            connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
            connection.request("GET", path)
        except OSError as e:
            results[index] = f"not sent: {e!r}"
            connected.abort()
            return
        connected.wait(TIMEOUT)
        try:
            response = connection.getresponse()
            response.read()
            results[index] = response.status
        except OSError as e:
            results[index] = f"lost in flight: {e!r}"

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    connected.wait(TIMEOUT)
    deadline = time.monotonic() + TIMEOUT
    while listen_queue(metrics_url) != 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # polling /metrics until the workers have taken every connection
    open(os.environ["HERD_TEST_INFLIGHT_STARTED"], "w").write("started\n")
    for thread in threads:
        thread.join(TIMEOUT + 5)
    print(f"in flight: {n} requests of {path}: {results}, all answered after "
          f"{int((time.monotonic() - started) * 1000)} ms")
    return 0 if results == [200] * n else 1


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "get":
        sys.exit(get(sys.argv[2]))
    elif command == "load":
        sys.exit(load(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    elif command == "inflight":
        sys.exit(inflight(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
    sys.exit(f"unknown command {command}")
