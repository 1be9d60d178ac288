"""Throwaway servers for the fault tests: PostgreSQL, Redis and gunicorn.

Each one runs in a temporary folder on a free loopback port, never the machine's shared
PostgreSQL (5432) or Redis (6379), and is stopped (its folder removed) when its `with` block
ends, even when the test fails half-way:

    with PostgresServer() as postgres:
        env = production_env(DATABASE_URL=postgres.url("newsroom"))
        manage("migrate", env=env)
        with Gunicorn(env) as site:
            site.get("/")
        postgres.stop()      # a fast shutdown, as an operator's restart does
        postgres.start()

PostgreSQL refuses to run as root: as root, initdb and postgres run as the `postgres`
account (through Popen's `user=`, so that the server's own pid is the one signalled: `runuser`
would stay in between and turn a fast shutdown into a smart one).
"""

import contextlib
import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# The suite's production settings, relaxed only where plain HTTP on loopback needs it.
TEST_SECRET_KEY = "test-only-secret-key-3f9c1e7a5b2d8c4e6f0a1b3c5d7e9f2a4b6c8d0e"
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": TEST_SECRET_KEY,
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
}
# Variables a subprocess must not inherit from the test run: each server test says its own.
INHERITED_OUT = (
    "DATABASE_URL",
    "CACHE_URL",
    "DJANGO_SETTINGS_MODULE",
    "PYTEST_XDIST_WORKER",
    "NEWSROOM_WEB_WORKER",  # set by newsroom.wsgi for gunicorn only
)


class ServerError(RuntimeError):
    """A throwaway server did not start; the message points at its log."""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**overrides):
    """The environment for a manage.py or gunicorn subprocess of the site."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_OUT}
    env.update(PRODUCTION_ENV)
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage(*args, env, timeout=120):
    """Run `manage.py <args>` in a subprocess; raise with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise ServerError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def ensure_static_files(env):
    """Production settings serve a manifest of collected static files; collect it once."""
    if not (BASE_DIR / "staticfiles" / "staticfiles.json").exists():
        manage("collectstatic", "--no-input", "-v0", env=env)


def wait_for(check, timeout, interval=0.05):
    """Call check() until it returns a true value or `timeout` seconds pass; return it."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


def port_open(port):
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def _stop_process(process, sig, timeout):
    """Signal a process and wait for it; SIGKILL if it is still there after `timeout`."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(5)


class _Server:
    """start()/stop()/restart() and a context manager that always cleans up."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_binary(name):
    """The newest installed PostgreSQL's `name` (initdb, postgres), or None."""

    def version(path):
        try:
            return int(Path(path).parts[-3])
        except ValueError:
            return 0

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    return found[-1] if found else shutil.which(name)


class PostgresServer(_Server):
    """A fresh cluster: trust authentication for `postgres`, fsync off, loopback only."""

    def __init__(self):
        self.initdb = postgres_binary("initdb")
        self.postgres = postgres_binary("postgres")
        if not (self.initdb and self.postgres):
            raise ServerError("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin)")
        self.port = free_port()
        self.root = None
        self.process = None
        self.log = None
        # PostgreSQL will not run as root: run it as the postgres account then.
        self.user = "postgres" if os.getuid() == 0 else None
        if self.user:
            try:
                pwd.getpwnam(self.user)
            except KeyError:
                raise ServerError("running as root, and there is no postgres account") from None

    @property
    def data(self):
        return self.root / "data"

    @property
    def sockets(self):
        return self.root / "sockets"

    def url(self, dbname="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _popen(self, args, **kwargs):
        return subprocess.Popen(
            args, cwd=self.root, user=self.user, group=self.user, start_new_session=True, **kwargs
        )

    def _init_cluster(self):
        self.root = Path(tempfile.mkdtemp(prefix="newsroom-postgres-"))
        self.sockets.mkdir()
        if self.user:
            account = pwd.getpwnam(self.user)
            for path in (self.root, self.sockets):
                os.chown(path, account.pw_uid, account.pw_gid)
        self.log = self.root / "postgres.log"
        with open(self.root / "initdb.log", "wb") as out:
            process = self._popen(
                [
                    self.initdb,
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            if process.wait(60) != 0:
                raise ServerError(f"initdb failed; see {self.root / 'initdb.log'}")

    def start(self, timeout=20):
        if self.root is None:
            self._init_cluster()
        if self.process is not None and self.process.poll() is None:
            return
        with open(self.log, "ab") as out:
            self.process = self._popen(
                [
                    self.postgres,
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.sockets),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if not wait_for(lambda: self.accepting() or self.process.poll() is not None, timeout):
            raise ServerError(f"PostgreSQL did not start within {timeout} s; see {self.log}")
        if self.process.poll() is not None:
            raise ServerError(f"PostgreSQL exited at start; see {self.log}")

    def accepting(self):
        """True once the server answers a real connection (not just an open port)."""
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=1) as connection:
                connection.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def stop(self, mode="fast"):
        """Shut down: "fast" (SIGINT: sessions are ended at once) or "immediate" (SIGQUIT)."""
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        _stop_process(self.process, sig, timeout=15)

    def freeze(self):
        """Stop answering without going away (a paused VM, a stopped process): the server
        and every backend get SIGSTOP; TCP still connects and is acknowledged."""
        # Each backend is its own process group (PostgreSQL calls setsid): signal each one.
        os.kill(self.process.pid, signal.SIGSTOP)  # first: no new backend is forked now
        self.frozen = child_pids(self.process.pid)
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in getattr(self, "frozen", []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = []

    def create_database(self, name):
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def close(self):
        if getattr(self, "frozen", None):
            self.thaw()  # stopped processes cannot shut down
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


# --- Redis --------------------------------------------------------------------------------


class RedisServer(_Server):
    """redis-server without persistence: a restart starts with an empty cache."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise ServerError("redis-server not found")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="newsroom-redis-"))
        self.log = self.root / "redis.log"
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=10):
        if self.process is not None and self.process.poll() is None:
            return
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(self.root),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for(lambda: self.ping() or self.process.poll() is not None, timeout):
            raise ServerError(f"redis-server did not start within {timeout} s; see {self.log}")
        if self.process.poll() is not None:
            raise ServerError(f"redis-server exited at start; see {self.log}")

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def ping(self):
        import redis

        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def stop(self):
        _stop_process(self.process, signal.SIGTERM, timeout=10)

    def kill(self):
        """Vanish without a goodbye, as a crashed or partitioned cache does."""
        _stop_process(self.process, signal.SIGKILL, timeout=10)

    def freeze(self):
        """Hang: connections are accepted and nothing is ever answered."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.thaw()  # a stopped process cannot act on SIGKILL's cleanup otherwise
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


# --- gunicorn -----------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Gunicorn(_Server):
    """`gunicorn newsroom.wsgi` with sync workers, in its own process group."""

    def __init__(self, env, *, workers=2, log_dir=None, timeout=30):
        self.env = env
        self.workers = workers
        self.worker_timeout = timeout
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log = Path(log_dir or tempfile.mkdtemp(prefix="newsroom-gunicorn-")) / (
            f"gunicorn-{self.port}.log"
        )
        self.process = None

    def start(self, timeout=30):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "newsroom.wsgi:application",
                    "--workers",
                    str(self.workers),
                    "--bind",
                    self.host,
                    "--timeout",
                    str(self.worker_timeout),
                    "--graceful-timeout",
                    "5",
                    "--access-logfile",
                    "-",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for(lambda: port_open(self.port) or self.process.poll() is not None, timeout):
            raise ServerError(f"gunicorn did not answer within {timeout} s; see {self.log}")
        if self.process.poll() is not None:
            raise ServerError(f"gunicorn exited at start; see {self.log}")

    def get(self, path, timeout=10, headers=None):
        """GET path over a new connection; returns a Response with its wall time."""
        return self.request("GET", path, timeout=timeout, headers=headers)

    def request(self, method, path, body=None, *, headers=None, timeout=10):
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(
                method, path, body, headers={"Host": "127.0.0.1", **(headers or {})}
            )
            response = connection.getresponse()
            content = response.read()
            result = Response(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                content,
                time.monotonic() - started,
            )
            result.set_cookies = response.msg.get_all("Set-Cookie") or []
            return result
        finally:
            connection.close()

    def worker_pids(self):
        """The worker processes' pids (children of the gunicorn master)."""
        if self.process is None:
            return []
        return child_pids(self.process.pid)

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        # The whole group: no worker may outlive the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


class AdminSession:
    """A logged-in admin user over plain HTTP: keeps the session and CSRF cookies."""

    def __init__(self, site):
        self.site = site
        self.cookies = {}

    def _headers(self, extra=None):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, **(extra or {})} if cookie else dict(extra or {})

    def _keep(self, response):
        for header in response.set_cookies:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, path, timeout=10):
        return self._keep(self.site.get(path, timeout=timeout, headers=self._headers()))

    def post(self, path, data, timeout=10):
        from urllib.parse import urlencode

        body = urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data})
        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        return self._keep(self.site.request("POST", path, body, headers=headers, timeout=timeout))

    def login(self, username, password):
        self.get("/admin/login/")
        response = self.post(
            "/admin/login/?next=/admin/", {"username": username, "password": password}
        )
        if response.status != 302:
            raise ServerError(f"admin login failed: {response.status}")
        return response


def child_pids(pid):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def rss_mb(pid):
    """Resident memory of a process in MB (VmRSS), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
