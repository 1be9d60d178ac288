"""One database's part of the benchmark, in a process of its own: `python -m bench.database`.

bench.run starts this once per database with DATABASE_URL in the environment, because
Django reads its settings once per process: here they come from that environment before
`django.setup()`, exactly as in the gunicorn workers being measured. The process builds the
corpus in a throwaway database, measures it, and writes its findings as JSON to the path it
was given; bench.run compares the databases and judges the budgets.
"""

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import django
import psycopg
import yaml

from . import corpus as corpus_module
from .load import fetch, median, run, sequential_p50
from .report import UNCACHED_ONLY
from .server import BASE_DIR, WORKERS, Server

POSTGRES_DATABASE = "newsroom_bench"
# Seconds to grow the corpus by one story, before the first growth has shown the pace.
GROWTH_GUESS_S = 0.001


def main(config_path, result_path):
    config = json.loads(Path(config_path).read_text())
    result = {"database": config["label"], "engine": config["engine"], "phase_s": {}}
    try:
        create_database(config)
        django.setup()
        with phase(result, "migrate"):
            manage("migrate", "--no-input", "-v0")
        with phase(result, "corpus"):
            result["load"] = load_corpus(config)
        urls = result["urls"] = endpoints(config)
        with phase(result, "queries"):
            result["in_process"] = {
                "uncached": count_queries(urls, cached=False),
                "cached": count_queries(
                    {name: url for name, url in urls.items() if name not in UNCACHED_ONLY},
                    cached=True,
                ),
            }
        with phase(result, "uncached"):
            result["uncached"] = serve_and_measure(config, urls, cached=False)
        with phase(result, "cached"):
            cached_urls = {name: url for name, url in urls.items() if name not in UNCACHED_ONLY}
            result["cached"] = serve_and_measure(config, cached_urls, cached=True)
        if config["scale"]:
            with phase(result, "scale"):
                result["scale"] = measure_scale(config, urls)
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        drop_database(config)
        Path(result_path).write_text(json.dumps(result, indent=2, default=str))


def progress(config, message):
    print(f"  [{config['label']}] {message}", file=sys.stderr, flush=True)


@contextmanager
def phase(result, name):
    """Record how long a part of the run took, in result["phase_s"]."""
    started = time.perf_counter()
    try:
        yield
    finally:
        result["phase_s"][name] = time.perf_counter() - started


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - started, value


def manage(*args, timeout=None):
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, check=True, timeout=timeout)


# --- The throwaway database -------------------------------------------------------------------


def create_database(config):
    """SQLite: a new file (bench.run gives it a temporary folder). PostgreSQL: newsroom_bench."""
    if config["engine"] != "postgres":
        return
    with psycopg.connect(config["server_url"], autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")


def drop_database(config):
    if config["engine"] != "postgres":
        return
    from django.db import connections

    connections.close_all()
    with psycopg.connect(config["server_url"], autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")


def analyze(config):
    """What PostgreSQL's autovacuum and checkpointer do after a large load, now.

    Without it the planner has no statistics, and the search index's pending list is not
    merged yet, which makes the planner prefer a sequential scan to it. The checkpoint
    writes out the load's dirty pages, which would otherwise compete with the measurements
    that follow (a 100,000-story growth measured up to 1.6x slower, at random).
    """
    if config["engine"] == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")


# --- Corpus -------------------------------------------------------------------------------------


def load_corpus(config):
    """Time `manage.py load_stories` on the generated documents.

    It is stopped at config["load_timeout"] seconds; the corpus is then written with
    bulk_create instead (the loader's write is atomic, so it left nothing behind).
    """
    stories = config["corpus"]["stories"]
    progress(config, f"load_stories: {stories} stories")
    outcome = {"stories": stories, "timeout_s": config["load_timeout"]}
    try:
        seconds, _ = timed(
            manage, "load_stories", config["docs"], "-v0", timeout=config["load_timeout"]
        )
        outcome |= {"seconds": seconds, "stories_per_s": stories / seconds, "completed": True}
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
        failure = "timed out" if isinstance(exc, subprocess.TimeoutExpired) else "failed"
        progress(config, f"load_stories {failure}; writing the corpus with bulk_create")
        outcome |= {"completed": False, "failure": failure}
        outcome["fallback_s"], _ = timed(corpus_module.build, read_documents(config["docs"]))
    analyze(config)
    return outcome


def read_documents(folder):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        for path in sorted(Path(folder).glob("*.yaml"))
    ]


def endpoints(config):
    """The measured addresses: the reference and two for comparison, then each public page."""
    corpus = config["corpus"]
    return {
        "ok": "/bench/ok",
        "css": f"/static/{config['stylesheet']}",
        "home": "/",
        "feed": f"/feeds/{corpus['feed_slug']}/",
        "story": f"/stories/{corpus['story_slug']}/",
        "timeline": f"/timelines/{corpus['timeline_slug']}/",
        "search": f"/search/?q={corpus['search_word']}",
        "rss": "/rss.xml",
    }


# --- Queries per request, in this process ------------------------------------------------------


def count_queries(urls, cached):
    """Queries, status and body size of each page, with Django's test client.

    Each page is requested twice and the second request counted: the first loads templates
    and, with the cache on, stores the page, so the count is that of a warm server.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    backend = "locmem.LocMemCache" if cached else "dummy.DummyCache"
    caches = {"default": {"BACKEND": f"django.core.cache.backends.{backend}"}}
    counts = {}
    with override_settings(CACHES=caches):
        # A page that fails is reported with its status, as gunicorn would answer it.
        client = Client(SERVER_NAME="127.0.0.1", raise_request_exception=False)
        for name, path in urls.items():
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            counts[name] = {
                "queries": len(queries),
                "status": response.status_code,
                "bytes": len(response.getvalue()),
            }
            response.close()
    return counts


# --- Under load, through gunicorn --------------------------------------------------------------


def server_env(cached):
    """The process environment, with the page cache on (a per-worker locmem) or off."""
    return {**os.environ, "CACHE_URL": "locmemcache://bench" if cached else "dummycache://"}


def serve_and_measure(config, urls, cached):
    mode = "cached" if cached else "uncached"
    log = Path(config["workdir"]) / f"gunicorn-{config['engine']}-{mode}.log"
    with Server(server_env(cached), log) as server:
        base = f"http://{server.host}"
        status = {name: fetch(base + path)[0] for name, path in urls.items()}
        if cached:
            # Each worker has its own locmem cache, and the kernel picks who accepts: a few
            # requests per page warm both.
            for path in urls.values():
                for _ in range(2 * WORKERS):
                    fetch(base + path)
        samples = measure_in_rounds(
            config, mode, {name: base + path for name, path in urls.items()}
        )
        return {
            "endpoints": {
                name: median(runs).as_dict() | {"status": status[name]}
                for name, runs in samples.items()
            },
            "worker_rss_mb": server.worker_rss_mb(),
            "log_problems": server.log_problems()[:20],
        }


def measure_in_rounds(config, mode, urls):
    """Each address once per round, `runs` rounds: {name: [Sample, ...]}.

    Rounds rather than back-to-back runs of one address, so that a burst of load from
    elsewhere on the machine spreads over every address (the reference included) instead of
    skewing one of them.
    """
    samples = {name: [] for name in urls}
    for round_number in range(1, config["runs"] + 1):
        progress(config, f"{mode}: round {round_number} of {config['runs']}")
        for name, url in urls.items():
            samples[name].append(run(url, config["duration"], config["wrk"]))
    return samples


def measure_scale(config, urls):
    """p50 of the feed and the story page as the corpus grows, with the page cache off.

    A size that would not be reached and measured before config["deadline"] (judged by the
    pace of the sizes before it) is skipped, so that the whole run keeps its time limit.
    """
    log = Path(config["workdir"]) / f"gunicorn-{config['engine']}-scale.log"
    points = []
    with Server(server_env(cached=False), log) as server:
        base = f"http://{server.host}"
        sizes = [config["corpus"]["stories"], *config["scale"]]
        for i, total in enumerate(sizes):
            if points and not time_left_for(config, points, total):
                progress(config, f"scale: no time left for {total:,} stories; skipped")
                points += [{"stories": size, "skipped": "time limit"} for size in sizes[i:]]
                break
            point = {"stories": total}
            if points:
                progress(config, f"scale: growing to {total:,} stories")
                point["added"] = total - points[-1]["stories"]
                point["grow_s"], point["rows"] = timed(corpus_module.grow, total)
                analyze(config)
            progress(config, f"scale: p50 at {total:,} stories")
            started = time.perf_counter()
            for name in ("feed", "story"):
                point[f"{name}_p50_ms"] = sequential_p50(
                    base + urls[name], config["scale_requests"]
                )
            point["measure_s"] = time.perf_counter() - started
            points.append(point)
        return {
            "points": points,
            "worker_rss_mb": server.worker_rss_mb(),
            "log_problems": server.log_problems()[:20],
        }


def time_left_for(config, points, total):
    """Whether growing to `total` stories and measuring there fits before the deadline."""
    if not config["deadline"]:
        return True
    measured = [point for point in points if "measure_s" in point]
    if not measured:
        return False
    grown = [point for point in measured if "grow_s" in point]
    per_story = grown[-1]["grow_s"] / grown[-1]["added"] if grown else GROWTH_GUESS_S
    needed = per_story * (total - measured[-1]["stories"]) + 1.5 * measured[-1]["measure_s"]
    return time.time() + needed < config["deadline"]


if __name__ == "__main__":
    main(*sys.argv[1:3])
