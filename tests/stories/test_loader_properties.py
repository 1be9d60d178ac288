"""load_stories against broken documents: it loads them completely or refuses them cleanly.

The property: whatever a story file holds, `load_stories` either loads it, and the story then
dumps back to what the file said, or raises CommandError and leaves every table exactly as
it was. Any other exception is a traceback in an editor's face, and a failure here.

Documents are the seed fixture with mutations drawn by Hypothesis, of three kinds:
- breakages that make a document invalid whatever else changed (a required field dropped, a
  wrong type, a citation out of range, a bad date, an unknown field, a javascript: URL, ...):
  the load must be refused;
- edits that keep it valid (a new headline, reordered key points, renumbered sources, ...):
  with nothing else changed, the load must succeed;
- blind damage anywhere in the tree (a value replaced by junk, a key deleted, random text):
  either outcome is fine, but only those two.

The seed is loaded first, so most documents update a story in place. Each example runs in a
savepoint that is rolled back afterwards: examples are independent, and Hypothesis can
replay and shrink a failure.

Inputs that crashed the loader have tests of their own at the bottom. Those that still crash it
(xfail) are left out of the generated documents through `KNOWN_CRASHES`, so that the property
keeps watching everything else; remove an entry once its bug is fixed.
"""

import copy
import datetime as dt
import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stories.documents import dump_story
from stories.models import Story
from tests.stories.test_loader import SEED, seed_document, snapshot

pytestmark = pytest.mark.django_db

SEED_DOCUMENT = seed_document()

# Paths whose values crash the loader today (bugs, xfail tests below); generated documents
# put no blind damage there. "*" stands for any list index.
KNOWN_CRASHES = set()
ANY_CHARACTER = st.characters(codec="utf-8")
# What an editor types: letters, marks, digits, punctuation, symbols and spaces; no control
# characters, so that YAML and JSON carry it unchanged.
TYPED = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])

LOW, HIGH = dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31)
ZONES = [
    dt.UTC,
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
    dt.timezone(-dt.timedelta(hours=8)),
]


def text(value):
    """A document's text as the loader reads it."""
    return str(value).strip()


def typed_text(min_size=1, max_size=80):
    """Text an editor could type, up to max_size; long values repeat a short piece, which
    reaches the limits without spending Hypothesis's data budget on every character."""
    piece = st.text(TYPED, min_size=min(min_size, 1), max_size=min(max_size, 40))
    repeats = st.integers(1, max_size) | st.just(1)
    return st.builds(lambda p, n: (p * n)[:max_size], piece, repeats).filter(
        lambda value: min_size == 0 or text(value)
    )


aware_datetimes = st.datetimes(LOW, HIGH, timezones=st.sampled_from(ZONES))
# Times as an editor may write them: YAML timestamps, or ISO text with an offset or a Z.
times = (
    aware_datetimes
    | aware_datetimes.map(lambda d: d.isoformat())
    | aware_datetimes.map(lambda d: d.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
)
junk_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats()
    | st.text(ANY_CHARACTER, max_size=30)
    | st.dates(LOW.date(), HIGH.date())
    | st.datetimes(LOW, HIGH, timezones=st.none() | st.sampled_from(ZONES))
)
junk = st.recursive(
    junk_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(ANY_CHARACTER, max_size=10), inner, max_size=3)
    ),
    max_leaves=6,
)
slugs = st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}", fullmatch=True)


# --- Walking a document ----------------------------------------------------------------------


def walk(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for key, value in list(node.items()):
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def matches(path, pattern):
    return len(path) == len(pattern) and all(
        (p == "*" and isinstance(k, int)) or p == k for k, p in zip(path, pattern, strict=True)
    )


def crash_prone(path):
    return any(
        matches(path[: len(pattern)], pattern)
        for pattern in KNOWN_CRASHES
        if len(path) >= len(pattern)
    )


def get(doc, path):
    node = doc
    for key in path:
        node = node[key]
    return node


def expand(doc, pattern):
    """The concrete paths of `pattern` whose parent exists (the last key may be missing)."""
    found = []

    def visit(node, path, rest):
        if len(rest) == 1:
            if isinstance(node, dict):
                found.append((*path, rest[0]))
            return
        key, rest = rest[0], rest[1:]
        if key == "*":
            if isinstance(node, list):
                for index, item in enumerate(node):
                    visit(item, (*path, index), rest)
        elif isinstance(node, dict) and key in node:
            visit(node[key], (*path, key), rest)

    visit(doc, (), tuple(pattern))
    return found


def present(doc, pattern):
    return [path for path in expand(doc, pattern) if path[-1] in get(doc, path[:-1])]


def put(doc, path, value):
    get(doc, path[:-1])[path[-1]] = value


def items_of(doc, *path):
    """The list at `path` if it is one, else []."""
    try:
        node = get(doc, path)
    except (KeyError, IndexError, TypeError):
        return []
    return node if isinstance(node, list) else []


def dicts_of(doc, *path):
    return [item for item in items_of(doc, *path) if isinstance(item, dict)]


def outlet_slugs(doc):
    return [o["slug"] for o in dicts_of(doc, "outlets") if isinstance(o.get("slug"), str)]


# --- Breakages: each makes the document invalid, whatever else it holds ----------------------

REQUIRED = [
    ("slug",),
    ("headline",),
    ("hero_image", "alt_text"),
    ("feeds", "*", "slug"),
    ("feeds", "*", "name"),
    ("outlets", "*", "slug"),
    ("outlets", "*", "name"),
    ("sources", "*", "url"),
    ("sources", "*", "outlet"),
    ("sources", "*", "title"),
    ("key_points", "*", "heading"),
    ("key_points", "*", "body"),
    ("videos", "*", "title"),
    ("videos", "*", "url"),
    ("resources", "*", "title"),
    ("resources", "*", "url"),
    ("notes", "*", "text"),
    ("notes", "*", "created_at"),
    ("timeline", "slug"),
    ("timeline", "title"),
    ("timeline", "entries", "*", "date"),
    ("timeline", "entries", "*", "text"),
]
# Text fields and their max_length (None: no limit).
TEXT = {
    ("slug",): 200,
    ("headline",): 300,
    ("summary",): None,
    ("status",): None,
    ("hero_image", "alt_text"): 300,
    ("hero_image", "caption"): None,
    ("hero_image", "credit"): 200,
    ("hero_image", "source_name"): 200,
    ("feeds", "*", "name"): 100,
    ("feeds", "*", "description"): 300,
    ("outlets", "*", "name"): 200,
    ("sources", "*", "title"): 500,
    ("sources", "*", "author"): 200,
    ("key_points", "*", "heading"): 300,
    ("key_points", "*", "body"): None,
    ("videos", "*", "title"): 300,
    ("resources", "*", "title"): 300,
    ("resources", "*", "description"): 500,
    ("notes", "*", "text"): None,
    ("timeline", "slug"): 200,
    ("timeline", "title"): 300,
    ("timeline", "description"): None,
    ("timeline", "entries", "*", "text"): None,
}
URLS = [
    ("sources", "*", "url"),
    ("videos", "*", "url"),
    ("videos", "*", "thumbnail_url"),
    ("resources", "*", "url"),
    ("hero_image", "image_url"),
    ("hero_image", "source_url"),
    ("hero_image", "full_size_url"),
    ("outlets", "*", "website"),
]
BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "  javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.com/file",
    "mailto:editor@example.com",
    "example.com/no-scheme",
    "//example.com/protocol-relative",
    "http://",
    "https://exa mple.com/",
]
DATETIMES = [
    ("published_at",),
    ("updated_at",),
    ("sources", "*", "published_at"),
    ("notes", "*", "created_at"),
]
BAD_DATETIMES = [
    "2026-02-30T10:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-02-03T25:00:00Z",
    "2026-02-03T21:30:00+25:00",
    "2026-02-03T21:30:00",  # no time zone
    dt.datetime(2026, 2, 3, 21, 30),  # a YAML timestamp without one
    "2026-02-03",
    dt.date(2026, 2, 3),
    "yesterday",
    "",
    20260203,
    True,
    ["2026-02-03T21:30:00Z"],
]
BAD_ENTRY_DATES = [
    "2025-13",
    "2025-00",
    "2025-02-30",
    "20x5",
    "0",
    "10000",
    "-2016",
    "2025-1-1-1",
    "",
    "  ",
    True,
    2016.5,
    [2016],
    {"year": 2016},
]
BAD_DURATIONS = ["abc", "12:xx:00", "soon", "-", True, 2.5, [150], {"minutes": 2}]
BAD_CITATIONS = ["1", 1.5, True, None, [1], {"source": 1}]
MAPPINGS = [
    (),
    ("hero_image",),
    ("timeline",),
    ("feeds", "*"),
    ("outlets", "*"),
    ("sources", "*"),
    ("key_points", "*"),
    ("videos", "*"),
    ("resources", "*"),
    ("notes", "*"),
    ("timeline", "entries", "*"),
    ("timeline", "entries", "*", "cites_articles", "*"),
]
LISTS = ["feeds", "outlets", "sources", "key_points", "videos", "resources", "notes"]
CHOICES = {
    ("status",): "live",
    ("notes", "*", "kind"): "retraction",
    ("videos", "*", "provider"): "tiktok",
}
BAD_SLUGS = ["Not A Slug!", "café-story", "a/b", "slug with spaces", "ünïcode"]


def mapping_paths(doc):
    paths = []
    for pattern in MAPPINGS:
        if not pattern:
            paths.append(())
            continue
        paths += [p for p in present(doc, pattern) if isinstance(get(doc, p), dict)]
    return paths


def existing(doc, patterns):
    return [path for pattern in patterns for path in present(doc, pattern)]


def break_drop_required(draw, doc):
    paths = existing(doc, REQUIRED)
    if isinstance(doc.get("status"), str) and text(doc["status"]) == "published":
        paths += present(doc, ("published_at",))
    if not paths:
        return None
    path = draw(st.sampled_from(paths))
    del get(doc, path[:-1])[path[-1]]
    return "drop a required field"


def break_wrong_type(draw, doc):
    choices = []
    for pattern in TEXT:
        choices += [
            (p, st.booleans() | st.just(["a list"]) | st.just({"a": "mapping"}))
            for p in expand(doc, pattern)
        ]
    for name in LISTS:
        choices.append(((name,), st.sampled_from(["not a list", 3, {"a": "mapping"}, True])))
    for pattern in [("hero_image",), ("timeline",)]:
        choices += [
            (p, st.sampled_from(["not a mapping", 7, [], [{"a": 1}], True]))
            for p in expand(doc, pattern)
        ]
    for pattern in [
        ("timeline", "entries"),
        ("key_points", "*", "cites"),
        ("timeline", "entries", "*", "cites"),
    ]:
        choices += [
            (p, st.sampled_from(["1, 2", 1, {"1": 2}, True])) for p in expand(doc, pattern)
        ]
    choices += [
        (p, st.sampled_from(["0", 1.5, True, [0]]))
        for p in expand(doc, ("feeds", "*", "nav_position"))
    ]
    choices += [
        (p, st.sampled_from(["yes", 1, "true", [True]]))
        for p in expand(doc, ("feeds", "*", "is_homepage"))
    ]
    path, values = draw(st.sampled_from(choices))
    put(doc, path, draw(values))
    return "wrong type"


def break_empty(draw, doc):
    paths = existing(doc, REQUIRED)
    paths = [p for p in paths if p[-1] not in ("date", "created_at")]
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), draw(st.sampled_from(["", " ", "\t\n", "   \n  "])))
    return "empty required text"


def break_too_long(draw, doc):
    limited = [(p, n) for pattern, n in TEXT.items() if n for p in expand(doc, pattern)]
    limited += [(p, 500) for p in existing(doc, URLS)]
    path, limit = draw(st.sampled_from(limited))
    length = draw(st.integers(limit + 1, limit + 300))
    middle = draw(st.text(TYPED, min_size=1, max_size=20)) * length
    value = ("x" + middle)[: length - 1] + "x"  # no white space to strip at either end
    if path[-1] in ("url", "website", "thumbnail_url", "image_url", "source_url", "full_size_url"):
        value = "https://example.com/" + "a" * (length - len("https://example.com/"))
    put(doc, path, value)
    return "longer than max_length"


def break_url(draw, doc):
    paths = existing(doc, URLS)
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), draw(st.sampled_from(BAD_URLS)))
    return "bad URL"


def break_datetime(draw, doc):
    paths = existing(doc, DATETIMES)
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), draw(st.sampled_from(BAD_DATETIMES)))
    return "bad date and time"


def break_entry_date(draw, doc):
    entries = existing(doc, [("timeline", "entries", "*", "date")])
    if not entries:
        return None
    path = draw(st.sampled_from(entries))
    if draw(st.booleans()):
        put(doc, path, draw(st.sampled_from(BAD_ENTRY_DATES)))
        return "bad entry date"
    # A precision that contradicts the date ("future" is the one given separately).
    date = get(doc, path)
    shape = {0: "year", 1: "month"}.get(str(date).count("-"), "day")
    put(
        doc,
        (*path[:-1], "precision"),
        draw(st.sampled_from(["year", "month", "day", "decade"]).filter(lambda p: p != shape)),
    )
    return "entry precision contradicts its date"


def break_duration(draw, doc):
    paths = existing(doc, [("videos", "*", "duration")])
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), draw(st.sampled_from(BAD_DURATIONS)))
    return "bad duration"


def break_citation(draw, doc):
    lists = existing(doc, [("key_points", "*", "cites"), ("timeline", "entries", "*", "cites")])
    if not lists:
        return None
    path = draw(st.sampled_from(lists))
    cites = get(doc, path)
    cites = list(cites) if isinstance(cites, list) else []
    count = len(items_of(doc, "sources"))
    how = draw(st.sampled_from(["range", "type", "twice"]))
    if how == "twice" and cites:
        cites.insert(draw(st.integers(0, len(cites))), draw(st.sampled_from(cites)))
    elif how == "type":
        cites.append(draw(st.sampled_from(BAD_CITATIONS)))
    else:
        cites.append(draw(st.sampled_from([0, -1, count + 1, count + 7, 10**9])))
    put(doc, path, cites)
    return f"citation: {how}"


def break_unknown_key(draw, doc):
    path = draw(st.sampled_from(mapping_paths(doc)))
    key = draw(
        st.text(TYPED, min_size=1, max_size=12).map(lambda k: f"x-{k}") | st.integers(0, 99)
    )
    get(doc, path)[key] = draw(junk)
    return "unknown field"


def break_duplicate_source(draw, doc):
    sources = [s for s in dicts_of(doc, "sources") if isinstance(s.get("url"), str)]
    if len(sources) < 2:
        return None
    first, second = draw(
        st.lists(st.sampled_from(range(len(sources))), min_size=2, max_size=2, unique=True)
    )
    sources[second]["url"] = draw(st.sampled_from(["", " ", "\n"])) + sources[first]["url"] + " "
    return "duplicate source URL"


def break_duplicate_feed(draw, doc):
    feeds = dicts_of(doc, "feeds")
    if not feeds:
        return None
    twin = dict(draw(st.sampled_from(feeds)))
    if draw(st.booleans()):
        twin["description"] = draw(typed_text(0, 80))
    doc["feeds"].insert(draw(st.integers(0, len(doc["feeds"]))), twin)
    return "feed listed twice"


def break_unknown_outlet(draw, doc):
    paths = present(doc, ("sources", "*", "outlet"))
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), "unknown-outlet-" + draw(slugs))
    return "unknown outlet"


def break_choice(draw, doc):
    paths = [(p, value) for pattern, value in CHOICES.items() for p in expand(doc, pattern)]
    path, value = draw(st.sampled_from(paths))
    put(doc, path, value)
    return "unknown choice"


def break_slug(draw, doc):
    paths = existing(doc, [("slug",), ("timeline", "slug"), ("feeds", "*", "slug")])
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), draw(st.sampled_from(BAD_SLUGS)))
    return "bad slug"


def break_negative(draw, doc):
    paths = expand(doc, ("feeds", "*", "nav_position"))
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), draw(st.sampled_from([-1, -(10**6), 2**64])))
    return "integer out of range"


BREAKAGES = [
    break_drop_required,
    break_wrong_type,
    break_empty,
    break_too_long,
    break_url,
    break_datetime,
    break_entry_date,
    break_duration,
    break_citation,
    break_unknown_key,
    break_duplicate_source,
    break_duplicate_feed,
    break_unknown_outlet,
    break_choice,
    break_slug,
    break_negative,
]


# --- Blind damage: the document may or may not stay valid ------------------------------------


def damage_replace(draw, doc):
    paths = [p for p, _ in walk(doc) if p and not crash_prone(p)]
    put(doc, draw(st.sampled_from(paths)), draw(junk))
    return "replace a value with junk"


def damage_delete(draw, doc):
    paths = [p for p, _ in walk(doc) if p]
    path = draw(st.sampled_from(paths))
    del get(doc, path[:-1])[path[-1]]
    return "delete a key or item"


def damage_unicode(draw, doc):
    paths = [p for p, v in walk(doc) if isinstance(v, str) and not crash_prone(p)]
    if not paths:
        return None
    put(doc, draw(st.sampled_from(paths)), draw(st.text(ANY_CHARACTER, max_size=60)))
    return "random unicode text"


def damage_shuffle(draw, doc):
    paths = [p for p, v in walk(doc) if isinstance(v, list) and len(v) > 1]
    if not paths:
        return None
    node = get(doc, draw(st.sampled_from(paths)))
    node[:] = draw(st.permutations(node))
    return "shuffle a list"


def damage_duplicate(draw, doc):
    paths = [p for p, v in walk(doc) if isinstance(v, list) and v]
    if not paths:
        return None
    node = get(doc, draw(st.sampled_from(paths)))
    node.insert(draw(st.integers(0, len(node))), copy.deepcopy(draw(st.sampled_from(node))))
    return "duplicate a list item"


def damage_second_homepage(draw, doc):
    feeds = items_of(doc, "feeds")
    if "feeds" in doc and not isinstance(doc["feeds"], list):
        return None
    feeds.append({"slug": "x-" + draw(slugs), "name": "Another front page", "is_homepage": True})
    doc["feeds"] = feeds
    return "a second home page feed"


DAMAGE = [
    damage_replace,
    damage_delete,
    damage_unicode,
    damage_shuffle,
    damage_duplicate,
    damage_second_homepage,
]


# --- Edits: the document stays valid ----------------------------------------------------------


def edit_headline(draw, doc):
    doc["headline"] = draw(typed_text(1, 300))
    return "new headline"


def edit_summary(draw, doc):
    if draw(st.booleans()):
        doc.pop("summary", None)
    else:
        doc["summary"] = draw(typed_text(0, 600))
    return "new summary"


def edit_key_point(draw, doc):
    points = dicts_of(doc, "key_points")
    if not points:
        return None
    point = draw(st.sampled_from(points))
    point["heading"] = draw(typed_text(1, 300))
    point["body"] = draw(typed_text(1, 600))
    return "edit a key point"


def edit_drop_key_point(draw, doc):
    points = items_of(doc, "key_points")
    if not points:
        return None
    del points[draw(st.integers(0, len(points) - 1))]
    return "drop a key point"


def edit_reorder(draw, doc):
    name = draw(st.sampled_from(["key_points", "resources", "notes"]))
    node = items_of(doc, name)
    if len(node) < 2:
        return None
    node[:] = draw(st.permutations(node))
    return f"reorder {name}"


def edit_cites(draw, doc):
    points = dicts_of(doc, "key_points")
    count = len(items_of(doc, "sources"))
    if not points or not count:
        return None
    draw(st.sampled_from(points))["cites"] = draw(
        st.lists(st.integers(1, count), unique=True, max_size=count)
    )
    return "change citations"


def edit_renumber_sources(draw, doc):
    """Reorder the sources and renumber every citation with them."""
    sources = items_of(doc, "sources")
    if len(sources) < 2:
        return None
    order = draw(st.permutations(range(len(sources))))
    number = {old + 1: new + 1 for new, old in enumerate(order)}
    sources[:] = [sources[old] for old in order]
    for item in dicts_of(doc, "key_points") + dicts_of(doc, "timeline", "entries"):
        if isinstance(item.get("cites"), list):
            item["cites"] = [number.get(n, n) if type(n) is int else n for n in item["cites"]]
    return "renumber sources"


def edit_drop_section(draw, doc):
    name = draw(
        st.sampled_from(
            ["videos", "resources", "notes", "hero_image", "timeline", "updated_at", "summary"]
        )
    )
    doc.pop(name, None)
    return f"drop {name}"


def edit_add_resource(draw, doc):
    if "resources" in doc and not isinstance(doc["resources"], list):
        return None
    resource = {
        "title": draw(typed_text(1, 300)),
        "url": "https://example.net/resources/" + draw(slugs),
    }
    if draw(st.booleans()):
        resource["description"] = draw(typed_text(0, 500))
    doc.setdefault("resources", []).append(resource)
    return "add a resource"


def edit_add_note(draw, doc):
    if "notes" in doc and not isinstance(doc["notes"], list):
        return None
    note = {
        "kind": draw(st.sampled_from(["update", "correction"])),
        "text": draw(typed_text(1, 300)),
        "created_at": draw(times),
    }
    doc.setdefault("notes", []).append(note)
    return "add a note"


def edit_entry_date(draw, doc):
    entries = dicts_of(doc, "timeline", "entries")
    if not entries:
        return None
    entry = draw(st.sampled_from(entries))
    day = draw(st.dates(LOW.date(), HIGH.date()))
    entry["date"] = draw(
        st.sampled_from(
            [f"{day.year:04d}", f"{day.year:04d}-{day.month:02d}", day.isoformat(), day]
        )
    )
    if entry.get("precision") != "future":
        entry.pop("precision", None)
    return "change an entry date"


def edit_cite_extra_article(draw, doc):
    entries = dicts_of(doc, "timeline", "entries")
    outlets = outlet_slugs(doc)
    if not entries or not outlets:
        return None
    index = draw(st.integers(0, len(entries) - 1))
    extras = entries[index].setdefault("cites_articles", [])
    if not isinstance(extras, list):
        return None
    extras.append(
        {
            "url": f"https://example.net/articles/{index}-{len(extras)}",
            "outlet": draw(st.sampled_from(outlets)),
            "title": draw(typed_text(1, 500)),
        }
    )
    return "cite an article outside the sources"


def edit_add_source(draw, doc):
    outlets = outlet_slugs(doc)
    if not outlets or ("sources" in doc and not isinstance(doc["sources"], list)):
        return None
    sources = doc.setdefault("sources", [])
    source = {
        "url": f"https://example.net/sources/{len(sources)}",
        "outlet": draw(st.sampled_from(outlets)),
        "title": draw(typed_text(1, 500)),
    }
    if draw(st.booleans()):
        source["published_at"] = draw(times)
    sources.append(source)
    return "add a source"


def edit_feed(draw, doc):
    feeds = dicts_of(doc, "feeds")
    if not feeds:
        return None
    feed = draw(st.sampled_from(feeds))
    feed["description"] = draw(typed_text(0, 300))
    feed["nav_position"] = draw(st.integers(0, 10**6))
    return "edit a feed"


def edit_status(draw, doc):
    doc["status"] = draw(st.sampled_from(["draft", "review", "archived"]))
    return "change status"


def edit_times(draw, doc):
    doc[draw(st.sampled_from(["published_at", "updated_at"]))] = draw(times)
    return "change story times"


def edit_duration(draw, doc):
    videos = dicts_of(doc, "videos")
    if not videos:
        return None
    seconds = draw(st.integers(0, 86_400))
    draw(st.sampled_from(videos))["duration"] = draw(
        st.sampled_from(
            [seconds, f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"]
        )
    )
    return "change a video duration"


def edit_slug(draw, doc):
    doc["slug"] = draw(slugs)
    return "new slug (a second story)"


EDITS = [
    edit_headline,
    edit_summary,
    edit_key_point,
    edit_drop_key_point,
    edit_reorder,
    edit_cites,
    edit_renumber_sources,
    edit_drop_section,
    edit_add_resource,
    edit_add_note,
    edit_entry_date,
    edit_cite_extra_article,
    edit_add_source,
    edit_feed,
    edit_status,
    edit_times,
    edit_duration,
    edit_slug,
]


@st.composite
def documents(draw):
    """(document, expectation, labels): expectation is "loads", "refused" or "either"."""
    doc = copy.deepcopy(SEED_DOCUMENT)
    mix = draw(st.sampled_from(["edits", "breakages", "damage", "everything", "not a mapping"]))
    if mix == "not a mapping":
        top = draw(st.sampled_from([None, [], [SEED_DOCUMENT], "a story", 42, True]))
        return top, "refused", ["top level is not a mapping"]
    labels, damaged, broken = [], False, False
    # Damage first, then edits, then breakages, so that nothing later can undo a breakage.
    if mix in ("damage", "everything"):
        for damage in draw(st.lists(st.sampled_from(DAMAGE), min_size=1, max_size=3)):
            if label := damage(draw, doc):
                labels.append(label)
                damaged = True
    if mix in ("edits", "everything"):
        for edit in draw(
            st.lists(st.sampled_from(EDITS), min_size=0 if mix == "edits" else 1, max_size=4)
        ):
            if label := edit(draw, doc):
                labels.append(label)
    if mix in ("breakages", "everything"):
        for breakage in draw(st.lists(st.sampled_from(BREAKAGES), min_size=1, max_size=2)):
            if label := breakage(draw, doc):
                labels.append(label)
                broken = True
    expectation = "refused" if broken else "either" if damaged else "loads"
    return doc, expectation, labels


# --- What a loaded story must look like -------------------------------------------------------


def citations_by_url(cites, sources, extras):
    urls = [sources[n - 1] for n in cites]
    return sorted(urls + [text(extra["url"]) for extra in extras])


def assert_story_matches(document):
    """The story dumps back to what the document says."""
    story = Story.objects.get(slug=text(document["slug"]))
    dumped = dump_story(story)
    assert dumped["headline"] == text(document["headline"])
    # Dumps leave out what is a field's default: a draft's status, a key point without cites.
    assert dumped.get("status", "draft") == (text(document.get("status") or "") or "draft")
    for name in ("published_at", "updated_at"):
        value = document.get(name)
        if value is not None:
            given = value if isinstance(value, dt.datetime) else parse_datetime(text(value))
            assert parse_datetime(dumped[name]) == given, name

    def section(doc, name):
        value = doc.get(name)
        return value if isinstance(value, list) else []

    assert sorted(text(f["slug"]) for f in section(document, "feeds")) == [
        f["slug"] for f in section(dumped, "feeds")
    ]
    for name in ("sources", "key_points", "videos", "resources", "notes"):
        assert len(section(dumped, name)) == len(section(document, name)), name
    assert ("hero_image" in dumped) == (document.get("hero_image") is not None)

    source_urls = [text(s["url"]) for s in section(document, "sources")]
    assert [s["url"] for s in section(dumped, "sources")] == source_urls
    for given, loaded in zip(
        section(document, "key_points"), section(dumped, "key_points"), strict=True
    ):
        assert loaded["heading"] == text(given["heading"])
        assert loaded.get("cites", []) == sorted(given.get("cites") or [])

    timeline = document.get("timeline")
    assert ("timeline" in dumped) == (timeline is not None)
    if timeline is not None:
        dumped_urls = [s["url"] for s in section(dumped, "sources")]
        entries = section(timeline, "entries")
        loaded_entries = section(dumped["timeline"], "entries")
        assert len(loaded_entries) == len(entries)
        for given, loaded in zip(entries, loaded_entries, strict=True):
            assert citations_by_url(
                loaded.get("cites", []), dumped_urls, loaded.get("cites_articles", [])
            ) == citations_by_url(
                given.get("cites") or [], source_urls, given.get("cites_articles") or []
            )


# --- The property -----------------------------------------------------------------------------


def write(tmp_path, document, as_json):
    if as_json:
        path = tmp_path / "story.json"
        path.write_text(json.dumps(document, default=str, ensure_ascii=False), encoding="utf-8")
        return path, json.loads(path.read_text(encoding="utf-8"))
    path = tmp_path / "story.yaml"
    path.write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def seeded(db):
    """The seed story in the database, so that documents update it in place."""
    call_command("load_stories", str(SEED), verbosity=0)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=documents(), as_json=st.booleans())
def test_a_document_loads_completely_or_is_refused_without_a_trace(
    seeded, tmp_path, case, as_json
):
    document, expectation, labels = case
    path, as_read = write(tmp_path, document, as_json)
    for label in labels:
        event(label)
    # A savepoint per example: examples must not see each other's stories.
    with transaction.atomic():
        before = snapshot()
        try:
            call_command("load_stories", str(path), verbosity=0)
        except CommandError as exc:
            event(f"outcome: refused ({expectation} expected)")
            assert expectation != "loads", f"a valid document was refused: {exc}\n{labels}"
            assert snapshot() == before, "a refused document changed the database"
        else:
            event(f"outcome: loaded ({expectation} expected)")
            assert expectation != "refused", f"a broken document was loaded: {labels}"
            assert_story_matches(as_read)
        transaction.set_rollback(True)


# --- Inputs that crashed the loader, one test each; xfail while the bug is still there ---------


def load_variant(tmp_path, change, name="story.yaml"):
    document = seed_document()
    change(document)
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


def assert_refused_without_a_trace(path):
    before = snapshot()
    with pytest.raises(CommandError):
        call_command("load_stories", str(path), verbosity=0)
    assert snapshot() == before


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_a_time_that_cannot_be_converted_to_utc_is_refused(seeded, tmp_path, value):
    assert_refused_without_a_trace(load_variant(tmp_path, lambda d: d.update(published_at=value)))


@pytest.mark.parametrize("value", [10**15, "999999999999:00:00", "P999999999999D"])
def test_a_video_duration_beyond_python_timedelta_is_refused(seeded, tmp_path, value):
    path = load_variant(tmp_path, lambda d: d["videos"][0].update(duration=value))
    assert_refused_without_a_trace(path)


@pytest.mark.parametrize("value", [10**13, "2777777777:00:00"])
def test_a_video_duration_longer_than_any_video_is_refused(seeded, tmp_path, value):
    path = load_variant(tmp_path, lambda d: d["videos"][0].update(duration=value))
    assert_refused_without_a_trace(path)


@pytest.mark.parametrize("value", [-5, "-00:02:30"])
def test_a_negative_video_duration_is_refused(seeded, tmp_path, value):
    path = load_variant(tmp_path, lambda d: d["videos"][0].update(duration=value))
    assert_refused_without_a_trace(path)


def test_a_video_duration_with_spaces_around_it_loads(seeded, tmp_path):
    path = load_variant(tmp_path, lambda d: d["videos"][0].update(duration=" 00:02:30 "))
    call_command("load_stories", str(path), verbosity=0)
    assert str(Story.objects.get().videos.get().duration) == "0:02:30"


@pytest.mark.parametrize("value", [10**30, "99999999999999999999", "2025-99999999999999999999"])
def test_a_timeline_date_beyond_the_calendar_is_refused(seeded, tmp_path, value):
    path = load_variant(tmp_path, lambda d: d["timeline"]["entries"][0].update(date=value))
    assert_refused_without_a_trace(path)


@pytest.mark.parametrize("value", ["../../etc/passwd", "/etc/passwd"])
def test_a_hero_image_path_outside_media_is_refused(seeded, tmp_path, value):
    path = load_variant(tmp_path, lambda d: d["hero_image"].update(image=value))
    assert_refused_without_a_trace(path)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_number_too_long_to_read_is_refused(db, tmp_path, suffix):
    """More than 4,300 digits: Python refuses to convert it (int_max_str_digits)."""
    path = tmp_path / f"story{suffix}"
    digits = "9" * 5000
    body = (
        f'{{"slug": "x", "headline": {digits}}}'
        if suffix == ".json"
        else f"slug: x\nheadline: {digits}\n"
    )
    path.write_text(body, encoding="utf-8")
    assert_refused_without_a_trace(path)


def test_an_unknown_field_in_an_extra_citation_is_refused(seeded, tmp_path):
    extra = {"url": "https://example.net/x", "outlet": "bbc", "title": "An extra", "autor": "typo"}
    path = load_variant(
        tmp_path, lambda d: d["timeline"]["entries"][0].update(cites_articles=[extra])
    )
    assert_refused_without_a_trace(path)


def test_a_feed_listed_twice_is_refused(seeded, tmp_path):
    path = load_variant(
        tmp_path, lambda d: d["feeds"].append(dict(d["feeds"][1], description="Other"))
    )
    assert_refused_without_a_trace(path)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b"])
def test_a_control_character_in_text_is_refused(seeded, tmp_path, character):
    """NUL used to load on SQLite and crash PostgreSQL (DataError)."""
    path = load_variant(tmp_path, lambda d: d.update(headline=f"Trump{character}Petro"))
    assert_refused_without_a_trace(path)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda breakage: breakage.__name__)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_breakage_applies_to_the_seed_document(breakage, data):
    """A guard on the generator: no breakage is silently dead on the seed's shape."""
    assert breakage(data.draw, copy.deepcopy(SEED_DOCUMENT))
