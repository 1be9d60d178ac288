"""The benchmark's findings as plain-text tables, and the budgets they are judged against.

Sizes: KB = 1,024 bytes, MB = 1,024 KB.
"""

import math
from collections import Counter

ENDPOINTS = {
    "ok": "bare view (reference)",
    "css": "static CSS (WhiteNoise)",
    "home": "home feed /",
    "feed": "topic feed",
    "story": "story page",
    "timeline": "timeline page",
    "search": "search",
    "rss": "RSS /rss.xml",
}
PAGES = ["home", "feed", "story", "timeline", "search", "rss"]
MODES = ["uncached", "cached"]
# Shown beside the reference to place it (a static file WhiteNoise answers before Django's
# middleware), not judged: measured uncached only, to save the run time.
UNCACHED_ONLY = ["css"]

LOAD_SECONDS = 60
# The issue sets the loader's budget on SQLite, the embedded default; PostgreSQL's
# throughput is measured (stopped at the same minute) and reported beside it.
LOAD_BUDGET_DATABASE = "SQLite"
RSS_MB = 120
STORY_KB = 60
STYLESHEET_KB = 20
SCALE_FACTOR = 1.5
QUERY_LIMITS = {"story": 6, "home": 4, "feed": 4, "timeline": 4}
UNCACHED_SHARE = {"story": 0.25, "home": 0.30, "feed": 0.30, "timeline": 0.30}
CACHED_SHARE = 0.70


# --- Reading the results ------------------------------------------------------------------------


def measured(databases):
    """The databases that got as far as being measured (a skipped one has no figures)."""
    return [db for db in databases if "uncached" in db and "cached" in db]


def share(db, mode, name):
    """A page's requests/s as a share of the bare view's, in the same server and mode."""
    endpoints = db[mode]["endpoints"]
    reference = endpoints["ok"]["rps"]
    return endpoints[name]["rps"] / reference if reference else math.nan


def max_rss(db):
    sessions = [db.get(mode, {}) for mode in (*MODES, "scale")]
    values = [rss for session in sessions for rss in session.get("worker_rss_mb", [])]
    return max(values, default=math.nan)


def kilobytes(db, name):
    return db["in_process"]["uncached"][name]["bytes"] / 1024


# --- Tables -------------------------------------------------------------------------------------


def format_table(groups, header, rows, left=2):
    """Align `rows` under `header`; `groups` labels runs of columns: [(label, span), ...].

    The first `left` columns are left-aligned (labels), the rest right-aligned (numbers).
    """
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            str(cell).ljust(width) if i < left else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = []
    if groups:
        parts, column = [], 0
        for label, span in groups:
            width = sum(widths[column : column + span]) + 2 * (span - 1)
            parts.append(label.ljust(width))
            column += span
        lines.append("  ".join(parts).rstrip())
    lines.append(line(header))
    lines.append("  ".join("-" * width for width in widths))
    lines.extend(line(row) for row in rows)
    return "\n".join(lines)


def endpoint_table(databases):
    columns = ["req/s", "p50 ms", "p99 ms", "queries", "KB", "% ref"]
    groups = [("", 2)] + [(f"── {db['database']} ", len(columns)) for db in databases]
    header = ["endpoint", "cache", *columns * len(databases)]
    rows = []
    for name, label in ENDPOINTS.items():
        for mode in MODES:
            if mode == "cached" and name in UNCACHED_ONLY:
                continue
            row = [label if mode == "uncached" else "", mode]
            for db in databases:
                sample = db[mode]["endpoints"][name]
                counted = db["in_process"][mode][name]
                row += [
                    f"{sample['rps']:,.0f}",
                    f"{sample['p50_ms']:.1f}",
                    f"{sample['p99_ms']:.1f}",
                    counted["queries"],
                    f"{counted['bytes'] / 1024:.1f}",
                    f"{share(db, mode, name):.0%}",
                ]
            rows.append(row)
    return format_table(groups, header, rows)


def scale_table(databases):
    scaled = [db for db in databases if db.get("scale")]
    if not scaled:
        return "Scale: not measured (--skip-scale)."
    columns = ["feed p50", "story p50", "grown in"]
    groups = [("", 1)] + [(f"── {db['database']} ", len(columns)) for db in scaled]
    header = ["stories", *columns * len(scaled)]
    sizes = sorted({point["stories"] for db in scaled for point in db["scale"]["points"]})
    rows = []
    for size in sizes:
        row = [f"{size:,}"]
        for db in scaled:
            point = next((p for p in db["scale"]["points"] if p["stories"] == size), {})
            row += scale_cells(point)
        rows.append(row)
    ratio = [f"largest ÷ {sizes[0]:,}"]
    for db in scaled:
        points = scale_points(db)
        first, last = points[0], points[-1]
        if len(points) < 2:
            ratio += ["—", "—", ""]
            continue
        ratio += [
            f"{last['feed_p50_ms'] / first['feed_p50_ms']:.2f}x",
            f"{last['story_p50_ms'] / first['story_p50_ms']:.2f}x",
            "",
        ]
    rows.append(ratio)
    return format_table(groups, header, rows, left=1)


def scale_cells(point):
    if "feed_p50_ms" not in point:
        return ["—", "—", point.get("skipped", "")]
    grown = f"{point['grow_s']:.0f} s" if "grow_s" in point else "loaded"
    return [f"{point['feed_p50_ms']:.1f} ms", f"{point['story_p50_ms']:.1f} ms", grown]


def scale_points(db):
    """The sizes that were measured (a size can be skipped to keep the time limit)."""
    return [point for point in db.get("scale", {}).get("points", []) if "feed_p50_ms" in point]


def facts(databases):
    """load_stories throughput, worker memory and anything that went wrong."""
    lines = []
    for db in databases:
        name = db["database"]
        if "error" in db or "skipped" in db:
            lines.append(f"{name}: {db.get('skipped') or db.get('error')}")
        load = db.get("load")
        if load:
            lines.append(f"{name}: load_stories {load_line(load)}")
        if db.get("phase_s"):
            spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in db["phase_s"].items())
            lines.append(f"{name}: time spent: {spent}")
        if "uncached" in db:
            rss = ", ".join(
                f"{mode} {' / '.join(f'{v:.0f}' for v in db[mode]['worker_rss_mb'])}"
                for mode in (*MODES, "scale")
                if mode in db
            )
            lines.append(f"{name}: gunicorn worker RSS (MB) after each run: {rss}")
        lines.extend(f"{name}: {problem}" for problem in problems(db))
    return "\n".join(lines)


def load_line(load):
    if load["completed"]:
        return (
            f"{load['stories']:,} stories in {load['seconds']:.1f} s "
            f"({load['stories_per_s']:.1f} stories/s)"
        )
    return (
        f"{load['failure']} (stopped after {load['timeout_s']} s, so < "
        f"{load['stories'] / load['timeout_s']:.1f} stories/s); the corpus was written with "
        f"bulk_create instead in {load['fallback_s']:.1f} s"
    )


def problems(db):
    found = []
    for mode, counted in db.get("in_process", {}).items():
        for name, page in counted.items():
            if page["status"] != 200:
                found.append(f"in process, {mode}: {db['urls'][name]} answered {page['status']}")
    for mode in MODES:
        for name, sample in db.get(mode, {}).get("endpoints", {}).items():
            if sample["status"] != 200:
                found.append(f"{mode} {db['urls'][name]} answered {sample['status']}")
            if sample["errors"]:
                found.append(
                    f"{mode} {db['urls'][name]}: {sample['errors']} failed responses under load"
                )
    for mode in (*MODES, "scale"):
        for line in db.get(mode, {}).get("log_problems", []):
            found.append(f"gunicorn log ({mode}): {line.strip()}")
    return found


# --- Budgets ------------------------------------------------------------------------------------


def budgets(databases):
    """Every budget for every measured database: [{budget, database, value, passed}, ...]."""
    checks = []
    for db in databases:
        if "load" in db and db["database"] == LOAD_BUDGET_DATABASE:
            checks.append(load_budget(db))
    for db in measured(databases):
        checks += throughput_budgets(db)
        checks += query_budgets(db)
        checks += scale_budgets(db)
        rss = max_rss(db)
        checks.append(
            check(db, f"gunicorn worker RSS < {RSS_MB} MB", f"{rss:.0f} MB", rss < RSS_MB)
        )
        story, css = kilobytes(db, "story"), kilobytes(db, "css")
        checks.append(
            check(db, f"story HTML < {STORY_KB} KB", f"{story:.1f} KB", story < STORY_KB)
        )
        checks.append(
            check(db, f"stylesheet < {STYLESHEET_KB} KB", f"{css:.1f} KB", css < STYLESHEET_KB)
        )
    return checks


def check(db, budget, value, passed):
    """One budget's verdict: passed is True, False, or None when it could not be measured."""
    passed = None if passed is None else bool(passed)
    return {"budget": budget, "database": db["database"], "value": value, "passed": passed}


def load_budget(db):
    load = db["load"]
    budget = f"load_stories {load['stories']:,} stories < {LOAD_SECONDS} s"
    if not load["completed"]:
        return check(db, budget, f"{load['failure']} at {load['timeout_s']} s", False)
    return check(db, budget, f"{load['seconds']:.1f} s", load["seconds"] < LOAD_SECONDS)


def throughput_budgets(db):
    checks = []
    for name, minimum in UNCACHED_SHARE.items():
        value = share(db, "uncached", name)
        budget = f"{ENDPOINTS[name]} uncached ≥ {minimum:.0%} of reference req/s"
        checks.append(check(db, budget, f"{value:.0%}", value >= minimum))
    for name in PAGES:
        value = share(db, "cached", name)
        budget = f"{ENDPOINTS[name]} cached ≥ {CACHED_SHARE:.0%} of reference req/s"
        checks.append(check(db, budget, f"{value:.0%}", value >= CACHED_SHARE))
    return checks


def query_budgets(db):
    counts = db["in_process"]["uncached"]
    return [
        check(
            db,
            f"{ENDPOINTS[name]} ≤ {limit} queries",
            counts[name]["queries"],
            counts[name]["queries"] <= limit,
        )
        for name, limit in QUERY_LIMITS.items()
    ]


def scale_budgets(db):
    points = db.get("scale", {}).get("points", [])
    if len(points) < 2:
        return []
    first, target = points[0], points[-1]
    checks = []
    for name in ("feed", "story"):
        budget = (
            f"{ENDPOINTS[name]} p50 at {target['stories']:,} ≤ {SCALE_FACTOR}x "
            f"p50 at {first['stories']:,}"
        )
        if "skipped" in target:
            checks.append(check(db, budget, f"not measured ({target['skipped']})", None))
            continue
        ratio = target[f"{name}_p50_ms"] / first[f"{name}_p50_ms"]
        checks.append(check(db, budget, f"{ratio:.2f}x", ratio <= SCALE_FACTOR))
    return checks


def budget_lines(checks):
    width = max((len(c["budget"]) for c in checks), default=0)
    names = max((len(c["database"]) for c in checks), default=0)
    verdicts = {True: "PASS", False: "FAIL", None: "SKIP"}
    lines = [
        f"  {verdicts[c['passed']]}  {c['database']:<{names}}  "
        f"{c['budget']:<{width}}  {c['value']}"
        for c in checks
    ]
    counts = Counter(verdicts[c["passed"]] for c in checks)
    lines.append(
        f"  {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} not measured."
    )
    return "\n".join(lines)


def render(databases, checks, meta):
    """The whole report, as printed."""
    shown = measured(databases)
    sections = [
        f"Newsroom benchmark — {meta['when']} — {meta['summary']}",
        endpoint_table(shown) if shown else "No database was measured.",
        "",
        f"Scale (p50, page cache off: the quietest of 3 rounds of {meta['scale_requests']} "
        "sequential requests per figure)",
        scale_table(shown),
        "",
        facts(databases),
        "",
        "Budgets",
        budget_lines(checks),
        "",
        f"Total time: {meta['total_s']:.0f} s. JSON: {meta['output']}",
    ]
    return "\n".join(sections)
