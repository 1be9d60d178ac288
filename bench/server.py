"""gunicorn for the benchmark: the production server, on a free loopback port.

`Server` starts `gunicorn newsroom.wsgi` with two sync workers in its own process group, waits
until it answers, and on exit stops the whole group (SIGTERM, then SIGKILL), so that no
worker outlives the benchmark even when it fails half-way.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS = 2
START_TIMEOUT = 30
# Django's "Internal Server Error: /path", the exception that caused it, gunicorn's own errors.
PROBLEM = re.compile(
    r"^Internal Server Error|^[A-Za-z_][\w.]*(Error|Exception): |\] \[(ERROR|CRITICAL)\] "
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`with Server(env, log_path) as server:` serves the site at server.host."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = Path(log_path)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        command = [
            *(sys.executable, "-m", "gunicorn", "newsroom.wsgi:application"),
            *("--bind", self.host, "--workers", str(WORKERS), "--worker-class", "sync"),
            *("--log-level", "warning", "--graceful-timeout", "5"),
        ]
        log = self.log_path.open("a", encoding="utf-8")
        log.write(f"\n--- {' '.join(command)}\n")
        log.flush()
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches every worker
        )
        log.close()
        self.wait_until_ready()

    def wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {self.log_path}")
            if self.answers() and len(self.worker_pids()) == WORKERS:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"gunicorn did not answer within {START_TIMEOUT} s; see {self.log_path}"
        )

    def answers(self):
        try:
            connection = http.client.HTTPConnection(self.host, timeout=5)
            connection.request("GET", "/robots.txt")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def worker_pids(self):
        """The workers are the master's children."""
        master = self.process.pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
            return [int(pid) for pid in children]
        except OSError:
            return [pid for pid in _all_pids() if _parent_pid(pid) == master]

    def worker_rss_mb(self):
        """Resident memory (VmRSS) of each worker, in MB."""
        return [rss for pid in self.worker_pids() if (rss := vm_rss_mb(pid)) is not None]

    def log_problems(self):
        """The distinct errors in the server log: failed requests and their exceptions."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        found = [line.strip() for line in text.splitlines() if PROBLEM.search(line)]
        return list(dict.fromkeys(found))


def vm_rss_mb(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _all_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent_pid(pid):
    try:
        # The command name may hold spaces and parentheses: the fields start after the last ")".
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
