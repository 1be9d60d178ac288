"""The Newsroom benchmark: how fast the public site is under load, on SQLite and PostgreSQL.

Usage (from the project folder):

    make bench                              # the full run: under ten minutes
    .venv/bin/python -m bench.run --quick   # a smoke run of a minute or two, for development
    .venv/bin/python -m bench.run --skip-scale --databases sqlite

It prints its tables and budgets, writes everything to bench/results/latest.json, and exits
with 0 whether budgets pass or not (it measures; it does not gate).

What it does, for each database in turn (SQLite in a temporary file, PostgreSQL in a separate
database `newsroom_bench`, created and dropped here):

1. Corpus. 1,000 published stories shaped like the seed (5 key points, 10 sources, 1 video,
   3 resources, a 12-entry timeline) across 10 feeds, one of them the home page feed, are
   generated as YAML documents and loaded with `manage.py load_stories <folder>`: its wall
   time is the loader's throughput. It is stopped at --load-timeout seconds (the budget); the
   corpus is then written with bulk_create instead, so that the rest can still be measured.
2. Queries per request, in process: Django configured from the same environment, each page
   requested through django.test.Client under CaptureQueriesContext, with the page cache off
   (dummy) and warm (locmem). The body sizes come from here too.
3. Under load: gunicorn (2 sync workers, DEBUG off, production settings relaxed only for
   plain HTTP on loopback) on a free port, once with CACHE_URL=dummycache:// (uncached) and
   once with CACHE_URL=locmemcache://bench (cached, warmed first). Each address gets
   `wrk -t2 -c8 -d2s --latency` three times; the median requests/s, p50 and p99 are kept.
   The reference every page's requests/s is compared to is /bench/ok, a bare view that
   returns "ok", never cached, through the same server and the whole middleware stack
   (bench.settings adds only that address to the production settings). The static
   stylesheet, which WhiteNoise answers before Django's middleware runs, is shown beside
   it, measured uncached only.
   Without wrk (and without root to `apt-get install wrk`), a threaded Python client stands in.
4. Scale: more stories are added up to 10,000 and 100,000 (published, in the feeds, with a
   hero image, two sources and two key points each; their rows written straight into the
   models' tables, through COPY on PostgreSQL), and the p50 of the topic feed and of one
   seed-shaped story page is measured at each size with 150 sequential requests to gunicorn
   with the page cache off, three times: the quietest round counts.
5. Worker memory: VmRSS of each gunicorn worker after each run.

The run keeps to --time-limit (ten minutes less a few seconds, from the moment `make bench`
began, the install included): each database gets its share, and a scale size that would not
fit in it, judged by the pace so far, is skipped and reported as not measured. Use
--time-limit 0 on a busy machine to measure everything.

Each database is measured by its own process (bench.database), because Django reads its
settings, DATABASE_URL among them, once per process.
"""

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from . import corpus, report
from .load import find_wrk
from .server import BASE_DIR

RESULTS = BASE_DIR / "bench" / "results" / "latest.json"
DATABASES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
FULL = {"stories": 1_000, "runs": 3, "duration": 2, "scale": [10_000, 100_000], "requests": 150}
QUICK = {"stories": 200, "runs": 1, "duration": 1, "scale": [2_000], "requests": 50}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="Benchmark the public site (see bench/run.py)."
    )
    parser.add_argument("--quick", action="store_true", help="small corpus, one 1 s run each")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the scale table")
    parser.add_argument(
        "--python-client",
        action="store_true",
        help="use the Python load generator even where wrk is installed",
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        help="comma-separated, from: sqlite, postgres (default: both)",
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432/",
        metavar="URL",
        help="the PostgreSQL server; the benchmark creates and drops newsroom_bench on it",
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        default=595,
        metavar="SECONDS",
        help="skip the largest scale sizes that would end the run later than this "
        "(default: %(default)s s; 0: no limit)",
    )
    parser.add_argument(
        "--started",
        type=float,
        default=None,
        metavar="EPOCH",
        help="when the run began, in seconds since the epoch, if before this process "
        "(make bench passes the moment it began, so that the time limit covers the install)",
    )
    parser.add_argument(
        "--load-timeout",
        type=int,
        default=report.LOAD_SECONDS,
        metavar="SECONDS",
        help="stop load_stories after this long (default: its budget on SQLite, "
        "%(default)s s, on both databases)",
    )
    args = parser.parse_args(argv)
    args.databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = set(args.databases) - set(DATABASES)
    if unknown:
        parser.error(f"unknown database {', '.join(sorted(unknown))} (use sqlite, postgres)")
    return args


def say(message):
    print(message, file=sys.stderr, flush=True)


def base_env():
    """Production settings, relaxed only where loopback HTTP needs it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CACHE_URL", "PAGE_CACHE_SECONDS")
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_URL": "dummycache://",
        "LOG_LEVEL": "WARNING",
    }


def collect_static(env):
    """Collect static files (into STATIC_ROOT) and return the stylesheet's hashed name."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=env | {"DATABASE_URL": "sqlite://:memory:"},
        check=True,
    )
    manifest = json.loads((BASE_DIR / "staticfiles" / "staticfiles.json").read_text())
    return manifest["paths"]["newsroom.css"]


def database_url(engine, args, workdir):
    if engine == "sqlite":
        return f"sqlite:///{workdir}/bench.sqlite3"
    return args.postgres.rstrip("/") + "/newsroom_bench"


def postgres_problem(args):
    """Why PostgreSQL cannot be used, or None."""
    try:
        with psycopg.connect(args.postgres.rstrip("/") + "/postgres", connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"skipped: PostgreSQL at {args.postgres} is not reachable ({exc})"


def run_database(engine, config, env):
    """Measure one database in a process of its own; returns its findings."""
    label = DATABASES[engine]
    workdir = Path(config["workdir"])
    config = config | {"engine": engine, "label": label}
    config_path, result_path = workdir / f"{engine}-config.json", workdir / f"{engine}.json"
    config_path.write_text(json.dumps(config))
    say(f"{label}:")
    finished = subprocess.run(
        [sys.executable, "-m", "bench.database", str(config_path), str(result_path)],
        cwd=BASE_DIR,
        env=env | {"DATABASE_URL": config["database_url"]},
        check=False,
    )
    if not result_path.exists():
        return {"database": label, "error": f"bench.database exited with {finished.returncode}"}
    return json.loads(result_path.read_text())


def measure_all(args, plan, workdir, started):
    env = base_env()
    say("Collecting static files and writing the story documents ...")
    stylesheet = collect_static(env)
    documents = Path(workdir) / "documents"
    built = corpus.write_documents(documents, plan["stories"])
    common = {
        "workdir": workdir,
        "docs": str(documents),
        "corpus": vars(built),
        "stylesheet": stylesheet,
        "runs": plan["runs"],
        "duration": plan["duration"],
        "wrk": None if args.python_client else find_wrk(),
        "scale": [] if args.skip_scale else plan["scale"],
        "scale_requests": plan["requests"],
        "load_timeout": args.load_timeout,
        "server_url": args.postgres.rstrip("/") + "/postgres",
    }
    if common["wrk"] is None and not args.python_client:
        say("wrk is not installed: using the Python load generator instead.")
    databases = []
    for i, engine in enumerate(args.databases, start=1):
        problem = postgres_problem(args) if engine == "postgres" else None
        if problem:
            databases.append({"database": DATABASES[engine], "skipped": problem})
            continue
        config = common | {
            "database_url": database_url(engine, args, workdir),
            # Each database may use its share of the time limit, and what the one before
            # it left unused.
            "deadline": started + args.time_limit * i / len(args.databases)
            if args.time_limit
            else None,
        }
        databases.append(run_database(engine, config, env))
    return databases, common


def main(argv=None):
    args = parse_args(argv)
    started = args.started or time.time()
    plan = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as workdir:
        databases, common = measure_all(args, plan, workdir, started)
    checks = report.budgets(databases)
    meta = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": (
            f"{plan['stories']:,} stories; {'wrk' if common['wrk'] else 'Python client'} "
            f"-t2 -c8, median of {plan['runs']} x {plan['duration']} s; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        ),
        "scale_requests": plan["requests"],
        "output": RESULTS.relative_to(BASE_DIR),
        "quick": args.quick,
        "python": platform.python_version(),
        "time_limit_s": args.time_limit,
        "total_s": time.time() - started,
    }
    print(report.render(databases, checks, meta))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"meta": meta, "databases": databases, "budgets": checks}, indent=2, default=str
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
