"""Load generation: wrk when it is installed, a small threaded Python client when not.

`run()` loads one address for a few seconds; `median()` combines several runs of it.
`sequential_p50()` sends requests one after another, for the scale table, where latency
(not throughput) is the question.
"""

import http.client
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import asdict, dataclass

THREADS = 2
CONNECTIONS = 8
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # responses other than 2xx/3xx, and socket errors

    def as_dict(self):
        return asdict(self)


def find_wrk(install=True):
    """The wrk binary; installed from Debian when missing and we are root, else None."""
    wrk = shutil.which("wrk")
    if wrk is None and install and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wrk = shutil.which("wrk")
    return wrk


def run(url, duration, wrk=None):
    """One run of `duration` seconds: with wrk when given, else with the Python client."""
    return run_wrk(wrk, url, duration) if wrk else run_threads(url, duration)


def median(samples):
    """The median of each figure over several runs of one address."""
    return Sample(
        rps=statistics.median(s.rps for s in samples),
        p50_ms=statistics.median(s.p50_ms for s in samples),
        p99_ms=statistics.median(s.p99_ms for s in samples),
        requests=sum(s.requests for s in samples),
        errors=sum(s.errors for s in samples),
    )


def run_wrk(wrk, url, duration):
    command = [
        *(wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency"),
        *("--timeout", "5s", url),
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    return parse_wrk(output)


def parse_wrk(output):
    def number(pattern):
        match = re.search(pattern, output, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")

    socket_errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    errors = int(number(r"Non-2xx or 3xx responses: (\d+)"))
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Sample(
        rps=number(r"^Requests/sec:\s+([\d.]+)"),
        p50_ms=latency(50),
        p99_ms=latency(99),
        requests=int(number(r"^\s+(\d+) requests in")),
        errors=errors,
    )


# --- The fallback: threads with keep-alive connections ------------------------------------


def run_threads(url, duration, connections=CONNECTIONS):
    """What wrk measures, from Python: `connections` clients in a loop for `duration` s."""
    host, path = split_url(url)
    latencies, errors = [], []
    deadline = time.monotonic() + duration

    def client():
        connection = http.client.HTTPConnection(host, timeout=10)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _ = get(connection, path)
                failed += status >= 400
            except OSError:
                failed += 1
                connection.close()
            mine.append((time.perf_counter() - started) * 1000)
        latencies.extend(mine)
        errors.append(failed)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return Sample(
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        requests=len(latencies),
        errors=sum(errors),
    )


def sequential_p50(url, requests, warmup=10, rounds=3):
    """Median latency of `requests` requests sent one after another (after a warm-up), in
    the quietest of `rounds` rounds: a few milliseconds per request move with whatever else
    the machine does for a second (a database checkpoint after a large load), not with the
    page, and that is what differs between rounds."""
    host, path = split_url(url)
    medians = []
    for _ in range(rounds):
        connection = http.client.HTTPConnection(host, timeout=30)
        latencies = []
        for i in range(warmup + requests):
            started = time.perf_counter()
            status, _ = get(connection, path)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            if i >= warmup:
                latencies.append((time.perf_counter() - started) * 1000)
        connection.close()
        medians.append(statistics.median(latencies))
    return min(medians)


def fetch(url):
    """One request: (status, body bytes)."""
    host, path = split_url(url)
    connection = http.client.HTTPConnection(host, timeout=30)
    try:
        return get(connection, path)
    finally:
        connection.close()


def get(connection, path):
    # http.client reopens the connection by itself when the server closed it (gunicorn's
    # sync workers close after every response).
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.will_close:
        connection.close()
    return response.status, body


def split_url(url):
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return host, "/" + path


def percentile(values, percent):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * percent / 100))]
