"""Load test: a fixed number of mixed requests against gunicorn, with a pass/fail verdict.

Usage (from the project folder):

    make loadtest
    .venv/bin/python bench/loadtest.py                       # the same, without make
    .venv/bin/python bench/loadtest.py --requests 20000 --clients 8
    DATABASE_URL=postgres://... .venv/bin/python bench/loadtest.py   # writes to that database

Where `make bench` (bench/run.py) measures how fast each page is, this asks a yes/no question:
does the production server stay correct and bounded under a realistic mix of traffic?

1. Corpus. 50 story documents are generated from the seed fixture (own slugs, headlines,
   source URLs and timelines; four topic feeds besides the home page feed) and loaded with
   `manage.py load_stories`, into a SQLite file in a temporary folder, or into DATABASE_URL
   when it is set (it is migrated and the 50 stories are written there).
2. Server. gunicorn, 2 sync workers, production settings (DEBUG off, manifest static files),
   relaxed only for plain HTTP on loopback; the default local-memory page cache unless
   CACHE_URL says otherwise.
3. Load. After a warm-up (every page once per worker), exactly --requests requests (6,000)
   are sent by --clients keep-alive clients (4), at most --max-seconds (60) in all. The mix:
   home and topic feeds, story pages (a third of them with a tracking parameter, which the
   page cache ignores: the page's own entry), timelines, search (a fresh query almost every
   time: the real misses) and RSS. The list of requests is drawn from a fixed seed: every
   run sends the same ones.
4. Memory. VmRSS of each worker (from /proc) after the warm-up and at the end.

It prints a table (status counts, p50 and p99 per kind of page, worker memory) and exits
with 1 if any response was a 5xx or failed outright, if not every request was sent within
--max-seconds, if a worker was replaced during the run, or if a worker's memory grew by more
than --rss-growth-mb (30 MB) or ended above --rss-max-mb (120 MB). Otherwise 0.
"""

import argparse
import collections
import copy
import datetime as dt
import http.client
import itertools
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
SEED = BASE_DIR / "fixtures" / "us-colombia-trump-petro-talks.yaml"
WORKERS = 2
START_TIMEOUT = 30
REQUEST_TIMEOUT = 10

TOPIC_FEEDS = [
    {"slug": "world", "name": "World", "nav_position": 30, "description": "Around the world."},
    {"slug": "business", "name": "Business", "nav_position": 40, "description": "Markets."},
]
VOCABULARY = (
    "sanctions gas talks border trade election court minister summit ceasefire embassy "
    "pipeline tariff harvest drought protest senate budget treaty refinery port coffee "
    "banana cocaine militia ambassador envoy inflation currency vaccine rainforest mining "
    "strike union reform pension governor mayor congress referendum coalition opposition "
    "investment export import shipping railway airport satellite hurricane flood"
)
WORDS = VOCABULARY.split()
# Share of each kind of request in the mix.
MIX = {"feed": 30, "story": 30, "timeline": 10, "search": 15, "rss": 15}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=6_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--stories", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--rss-growth-mb", type=float, default=30)
    parser.add_argument("--rss-max-mb", type=float, default=120)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args()


# --- Corpus -----------------------------------------------------------------------------------


def build_corpus(folder, count, rng):
    """Write `count` story documents shaped like the seed; return their slugs and timelines."""
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    seed_feeds = seed["feeds"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stories = []
    for n in range(count):
        doc = copy.deepcopy(seed)
        words = rng.sample(WORDS, 4)
        doc["slug"] = f"loadtest-{n:03d}-{'-'.join(words[:2])}"
        doc["headline"] = f"{' '.join(words).capitalize()}: {seed['headline'][:200]}"
        doc["summary"] = f"{' '.join(rng.sample(WORDS, 12))}. {seed['summary']}"
        published = now - dt.timedelta(hours=n + 1)
        doc["published_at"] = published.isoformat().replace("+00:00", "Z")
        doc["updated_at"] = doc["published_at"]
        topics = rng.sample([*seed_feeds[1:], *TOPIC_FEEDS], rng.randint(1, 2))
        doc["feeds"] = [seed_feeds[0], *topics]
        for source in doc["sources"]:
            source["url"] = source["url"].replace("/placeholder/", f"/placeholder/{n:03d}/")
        for point in doc["key_points"]:
            point["body"] = f"{point['body']} {' '.join(rng.sample(WORDS, 6))}"
        doc["timeline"]["slug"] = f"{seed['timeline']['slug']}-{n:03d}"
        doc["timeline"]["title"] = f"{doc['timeline']['title']} ({n})"
        doc["notes"][0]["created_at"] = doc["updated_at"]
        (folder / f"{doc['slug']}.yaml").write_text(
            yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        stories.append((doc["slug"], doc["timeline"]["slug"]))
    feeds = [feed["slug"] for feed in [*seed_feeds[1:], *TOPIC_FEEDS]]
    # The seed's pictures, which its copies name beside them.
    shutil.copytree(SEED.parent / "images", folder / "images", dirs_exist_ok=True)
    return stories, feeds


def plan_requests(total, stories, feeds, rng):
    """The fixed list of (kind, path) to send, drawn from the seeded generator."""
    kinds = list(MIX)
    weights = [MIX[kind] for kind in kinds]
    plan = []
    for n in range(total):
        kind = rng.choices(kinds, weights)[0]
        slug, timeline = rng.choice(stories)
        if kind == "feed":
            path = "/" if rng.random() < 0.6 else f"/feeds/{rng.choice(feeds)}/"
        elif kind == "story":
            path = f"/stories/{slug}/"
            if rng.random() < 1 / 3:
                # Ignored by the page cache: the story page's own entry.
                path += f"?utm_source=loadtest&utm_campaign={n}"
        elif kind == "timeline":
            path = f"/timelines/{timeline}/"
        elif kind == "search":
            path = f"/search/?q={'+'.join(rng.sample(WORDS, rng.randint(1, 2)))}"
        else:
            path = "/rss.xml" if rng.random() < 0.6 else f"/feeds/{rng.choice(feeds)}/rss.xml"
        plan.append((kind, path))
    return plan


def warmup_paths(stories, feeds):
    paths = ["/", "/rss.xml", "/search/?q=sanctions"]
    paths += [f"/feeds/{feed}/" for feed in feeds] + [f"/feeds/{feed}/rss.xml" for feed in feeds]
    for slug, timeline in stories:
        paths += [f"/stories/{slug}/", f"/timelines/{timeline}/"]
    return paths


# --- Server -----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(workdir):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'loadtest.sqlite3'}")
    return env


def manage(*args, env):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class Gunicorn:
    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process = None

    def __enter__(self):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "newsroom.wsgi:application"),
                    *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}"),
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the workers are stopped with it
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited at start; see {self.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                if len(self.worker_pids()) == WORKERS:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.__exit__()
        sys.exit(f"gunicorn did not answer within {START_TIMEOUT} s; see {self.log_path}")

    def __exit__(self, *exc_info):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def worker_pids(self):
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return sorted(int(pid) for pid in children.read_text().split())
        except OSError:
            return []


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# --- Load -------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; it reconnects when the server closed it (sync workers do)."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def get(self, path):
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
                )
            try:
                self.connection.request("GET", path)
                response = self.connection.getresponse()
                response.read()
                if response.will_close:
                    self.close()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had already closed: retry once, fresh.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run_load(port, plan, clients, max_seconds):
    """Send every request of `plan` from `clients` threads; returns the results and seconds."""
    results = [None] * len(plan)
    counter = itertools.count()
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + max_seconds

    def work():
        client = Client(port)
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = next(counter)
                if index >= len(plan):
                    return
                kind, path = plan[index]
                begun = time.monotonic()
                try:
                    status = client.get(path)
                except OSError as exc:
                    status = type(exc).__name__
                    client.close()
                results[index] = (kind, status, time.monotonic() - begun)
        finally:
            client.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + REQUEST_TIMEOUT + 5)
    return [result for result in results if result is not None], time.monotonic() - started


def percentile(values, percent):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


# --- Report -----------------------------------------------------------------------------------


def report(results, seconds, planned, rss_start, rss_end):
    print()
    print(
        f"{len(results):,} of {planned:,} requests in {seconds:.1f} s "
        f"({len(results) / seconds:,.0f} requests/s)"
    )
    print()
    header = f"{'page':<10} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}  statuses"
    print(header)
    print("-" * len(header))
    by_kind = collections.defaultdict(list)
    for kind, status, took in results:
        by_kind[kind].append((status, took))
    for kind in [*MIX, "all"]:
        rows = [(s, t) for k, s, t in results] if kind == "all" else by_kind[kind]
        statuses = collections.Counter(str(status) for status, _ in rows)
        times = [took * 1000 for _, took in rows]
        described = ", ".join(f"{status}: {n:,}" for status, n in sorted(statuses.items()))
        print(
            f"{kind:<10} {len(rows):>9,} {percentile(times, 50):>8.1f} "
            f"{percentile(times, 99):>8.1f}  {described}"
        )
    print()
    print(f"{'worker':<10} {'RSS start MB':>13} {'RSS end MB':>11} {'growth MB':>10}")
    for pid in sorted(set(rss_start) | set(rss_end)):
        start, end = rss_start.get(pid), rss_end.get(pid)
        growth = f"{end - start:>10.1f}" if start is not None and end is not None else f"{'-':>10}"
        print(f"{pid:<10} {_mb(start):>13} {_mb(end):>11} {growth}")
    print()


def _mb(value):
    return "-" if value is None else f"{value:.1f}"


def verdict(results, planned, rss_start, rss_end, args):
    problems = []
    failed = collections.Counter(
        str(status) for _, status, _ in results if not isinstance(status, int) or status >= 500
    )
    if failed:
        problems.append(f"server errors or failed requests: {dict(failed)}")
    if len(results) < planned:
        problems.append(
            f"only {len(results):,} of {planned:,} requests were sent within {args.max_seconds} s"
        )
    if set(rss_start) != set(rss_end):
        problems.append(f"workers were replaced during the run: {rss_start} -> {rss_end}")
    for pid in set(rss_start) & set(rss_end):
        growth = rss_end[pid] - rss_start[pid]
        if growth > args.rss_growth_mb:
            problems.append(f"worker {pid} grew by {growth:.1f} MB (> {args.rss_growth_mb} MB)")
        if rss_end[pid] > args.rss_max_mb:
            problems.append(f"worker {pid} uses {rss_end[pid]:.1f} MB (> {args.rss_max_mb} MB)")
    return problems


def main():
    args = parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-loadtest-"))
    try:
        env = site_env(workdir)
        corpus = workdir / "corpus"
        corpus.mkdir()
        stories, feeds = build_corpus(corpus, args.stories, rng)
        print(
            f"Database: {env['DATABASE_URL'].split('@')[-1]}; cache: "
            f"{env.get('CACHE_URL', 'local memory (default)')}"
        )
        manage("collectstatic", "--no-input", "-v0", env=env)
        manage("migrate", "--no-input", "-v0", env=env)
        began = time.monotonic()
        print(
            manage("load_stories", str(corpus), env=env).strip(),
            f"({time.monotonic() - began:.1f} s)",
        )
        plan = plan_requests(args.requests, stories, feeds, rng)

        with Gunicorn(env, workdir / "gunicorn.log") as server:
            warm = Client(server.port)
            for _ in range(WORKERS):
                for path in warmup_paths(stories, feeds):
                    warm.get(path)
            warm.close()
            rss_start = {pid: rss_mb(pid) for pid in server.worker_pids()}
            results, seconds = run_load(server.port, plan, args.clients, args.max_seconds)
            rss_end = {pid: rss_mb(pid) for pid in server.worker_pids()}
            rss_start = {pid: mb for pid, mb in rss_start.items() if mb is not None}
            rss_end = {pid: mb for pid, mb in rss_end.items() if mb is not None}

        report(results, seconds, len(plan), rss_start, rss_end)
        log = (workdir / "gunicorn.log").read_text(errors="replace")
        tracebacks = log.count("Traceback")
        if tracebacks:
            print(f"gunicorn log: {tracebacks} traceback(s); the last lines:\n{log[-2000:]}")
        problems = verdict(results, len(plan), rss_start, rss_end, args)
        if problems:
            print("FAIL")
            for problem in problems:
                print(f"  - {problem}")
            return 1
        print(
            f"PASS: no 5xx; worker memory grew by at most {args.rss_growth_mb:.0f} MB and "
            f"stayed under {args.rss_max_mb:.0f} MB"
        )
        return 0
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
