"""Freeze PostgreSQL or Redis under load and count what readers and editors got.

Usage (from the project folder):

    .venv/bin/python -m bench.freeze redis --seconds 30
    .venv/bin/python -m bench.freeze postgres --seconds 30

A throwaway PostgreSQL and Redis (tests/servers.py), the seed story, gunicorn with 2 sync
workers and production settings. Readers (--readers threads) request the cached pages (home,
story, timeline, RSS) and an uncached one (a search for a new word each time); an editor
saves a new outlet through the admin every 0.2 s. After --before seconds the server is
frozen with SIGSTOP (not killed: connections are accepted and never answered) for
--seconds, then thawed, and the load goes on for --after seconds.

It prints, for each phase (before, frozen, after): requests by kind and status, p50 and max
latency; then the gunicorn workers replaced during the run and the saves lost (answered as
saved, but not in the database after the thaw). The fault tests (tests/test_faults.py) run
the same scenario with short freezes and assert on its report.
"""

import argparse
import itertools
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import (
    AdminSession,
    Gunicorn,
    PostgresServer,
    RedisServer,
    ensure_static_files,
    manage,
    production_env,
)

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "us-colombia-trump-petro-talks.yaml"
ADMIN = ("freeze-editor", "freeze-editor-password-9c2e")
CACHED = ["/", "/stories/{story}/", "/timelines/{timeline}/", "/rss.xml"]


@dataclass
class Record:
    kind: str  # "cached", "uncached" or "save"
    started: float
    finished: float
    status: object  # an HTTP status, or the name of the exception
    retry_after: str | None = None
    saved_name: str | None = None

    @property
    def seconds(self):
        return self.finished - self.started


@dataclass
class Report:
    frozen: str
    seconds: float
    records: list = field(default_factory=list)
    freeze_started: float = 0.0
    thawed: float = 0.0
    workers_before: list = field(default_factory=list)
    workers_after: list = field(default_factory=list)
    saves_acknowledged: int = 0
    saves_lost: list = field(default_factory=list)
    log: str = ""

    def phase(self, name):
        bounds = {
            "before": (0, self.freeze_started),
            "frozen": (self.freeze_started, self.thawed),
            "after": (self.thawed, float("inf")),
        }[name]
        return [r for r in self.records if bounds[0] <= r.started < bounds[1]]

    @property
    def workers_replaced(self):
        return len(set(self.workers_before) - set(self.workers_after))

    def text(self):
        lines = [f"{self.frozen} frozen for {self.seconds:g} s"]
        for name in ("before", "frozen", "after"):
            records = self.phase(name)
            span = {
                "before": self.freeze_started - (records[0].started if records else 0),
                "frozen": self.thawed - self.freeze_started,
                "after": (records[-1].finished - self.thawed) if records else 0,
            }[name]
            lines.append(f"  {name} ({span:.1f} s):")
            for kind in ("cached", "uncached", "save"):
                mine = [r for r in records if r.kind == kind]
                if not mine:
                    continue
                counts = {}
                for r in mine:
                    counts[r.status] = counts.get(r.status, 0) + 1
                took = [r.seconds for r in mine]
                lines.append(
                    f"    {kind:9} {len(mine):6} req ({len(mine) / max(span, 0.001):7.1f}/s) "
                    f"{counts}  p50 {statistics.median(took) * 1000:7.1f} ms  "
                    f"max {max(took) * 1000:7.1f} ms"
                )
        lines.append(
            f"  workers replaced: {self.workers_replaced} "
            f"(before {sorted(self.workers_before)}, after {sorted(self.workers_after)})"
        )
        lines.append(
            f"  saves answered as saved: {self.saves_acknowledged}; "
            f"lost: {len(self.saves_lost)} {self.saves_lost[:5]}"
        )
        return "\n".join(lines)


def _readers(site, urls, report, lock, stopping, timeout):
    words = (f"w{uuid.uuid4().hex[:10]}" for _ in itertools.count())
    for turn in itertools.count():
        if stopping.is_set():
            return
        if turn % 5 == 4:
            kind, url = "uncached", f"/search/?q={next(words)}"
        else:
            kind, url = "cached", urls[turn % len(urls)]
        started = time.monotonic()
        try:
            response = site.get(url, timeout=timeout)
            record = Record(kind, started, time.monotonic(), response.status)
            record.retry_after = response.headers.get("retry-after")
        except OSError as exc:
            record = Record(kind, started, time.monotonic(), type(exc).__name__)
        with lock:
            report.records.append(record)


def _editor(admin, report, lock, stopping, timeout):
    while not stopping.is_set():
        name = f"Freeze Outlet {uuid.uuid4().hex[:12]}"
        data = {"name": name, "slug": name.lower().replace(" ", "-"), "website": ""}
        started = time.monotonic()
        try:
            response = admin.post("/admin/stories/outlet/add/", data, timeout=timeout)
            status, retry_after = response.status, response.headers.get("retry-after")
        except OSError as exc:
            status, retry_after = type(exc).__name__, None
        record = Record("save", started, time.monotonic(), status, retry_after, name)
        with lock:
            report.records.append(record)
        time.sleep(0.2)


def freeze_under_load(
    frozen,
    seconds,
    *,
    before=2.0,
    after=3.0,
    readers=3,
    timeout=10,
    log_dir=None,
    extra_env=None,
):
    """Run the scenario; returns a Report. `frozen` is "postgres" or "redis"."""
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="newsroom-freeze-"))
    report = Report(frozen, seconds)
    import yaml

    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    urls = [url.format(story=seed["slug"], timeline=seed["timeline"]["slug"]) for url in CACHED]
    with PostgresServer() as postgres, RedisServer() as redis_server:
        postgres.create_database("newsroom")
        env = production_env(
            DATABASE_URL=postgres.url("newsroom"), CACHE_URL=redis_server.url, **(extra_env or {})
        )
        ensure_static_files(env)
        manage("migrate", "--no-input", "-v0", env=env)
        manage("load_stories", str(SEED), "-v0", env=env)
        manage(
            "createsuperuser",
            "--no-input",
            "--username",
            ADMIN[0],
            "--email",
            "editor@example.com",
            env={**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN[1]},
        )
        server = {"postgres": postgres, "redis": redis_server}[frozen]
        with Gunicorn(env, log_dir=log_dir) as site:
            for _ in range(3):  # every page cached, whichever worker answers
                for url in urls:
                    site.get(url)
            admin = AdminSession(site)
            admin.login(*ADMIN)
            report.workers_before = site.worker_pids()
            lock, stopping = threading.Lock(), threading.Event()
            threads = [
                threading.Thread(
                    target=_readers, args=(site, urls, report, lock, stopping, timeout)
                )
                for _ in range(readers)
            ]
            threads.append(
                threading.Thread(target=_editor, args=(admin, report, lock, stopping, timeout))
            )
            for thread in threads:
                thread.start()
            try:
                time.sleep(before)
                report.freeze_started = time.monotonic()
                server.freeze()
                time.sleep(seconds)
            finally:
                server.thaw()
                report.thawed = time.monotonic()
                time.sleep(after)
                stopping.set()
                for thread in threads:
                    thread.join(timeout + 5)
            report.workers_after = site.worker_pids()
            report.log = site.log_text()
        import psycopg

        with psycopg.connect(postgres.url("newsroom")) as connection:
            names = {row[0] for row in connection.execute("SELECT name FROM stories_outlet")}
    saves = [r for r in report.records if r.kind == "save" and r.status == 302]
    report.saves_acknowledged = len(saves)
    report.saves_lost = [r.saved_name for r in saves if r.saved_name not in names]
    report.records.sort(key=lambda r: r.started)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("frozen", choices=["postgres", "redis"])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--before", type=float, default=3)
    parser.add_argument("--after", type=float, default=5)
    args = parser.parse_args()
    report = freeze_under_load(
        args.frozen, args.seconds, before=args.before, after=args.after, readers=args.readers
    )
    print(report.text())


if __name__ == "__main__":
    main()
