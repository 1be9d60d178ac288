"""Hostile parameters: whatever a client puts in a public address, the answer is never a 5xx.

Every public route is found in the URL resolver (everything outside the admin), so a route
added later is fuzzed without anyone listing it here. Run on SQLite and on PostgreSQL: each
database refuses different values (SQLite integers beyond 64 bits, PostgreSQL NUL in text).
"""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import FeedFactory, PublishedStoryFactory, TimelineFactory

pytestmark = pytest.mark.django_db

# Every query parameter a public view reads; the fuzz adds names no view reads as well.
PUBLIC_PARAMETERS = ("before", "q", "p")
PRIVATE_NAMESPACES = {"admin"}
PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def public_routes(patterns=None, prefix=""):
    """The public URL patterns as strings, route and regex syntax alike ("feeds/<slug:slug>/")."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            if pattern.namespace not in PRIVATE_NAMESPACES:
                yield from public_routes(pattern.url_patterns, route)
        else:
            yield route


ROUTES = sorted(set(public_routes()))

BIG = st.integers(min_value=-(2**80), max_value=2**80) | st.sampled_from(
    [2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30]
)
NASTY = st.sampled_from(
    ["\x00", "%00", "a\x00b", "\ud7ff\ue000", "' OR 1=1 --", "../" * 8 + "etc/passwd", "\u2028"]
)
HOSTILE_TEXT = st.text(max_size=300) | NASTY
HOSTILE_SEGMENT = st.text(min_size=1, max_size=300) | NASTY  # a path segment is never empty
VALUES = (
    HOSTILE_TEXT
    | BIG.map(str)
    | st.tuples(BIG, BIG).map(lambda pair: f"{pair[0]}-{pair[1]}")
    | st.just("x" * 5000)
)


@st.composite
def addresses(draw, slugs):
    """A public route with each placeholder filled (a real slug or anything at all), plus
    query parameters: the ones views read and others, holding hostile values."""
    route = draw(st.sampled_from(ROUTES))

    def fill(_match):
        value = draw(st.sampled_from(slugs) | st.from_regex(r"[-\w]{1,80}", fullmatch=True))
        value = draw(st.just(value) | HOSTILE_SEGMENT)
        return quote(value.encode("utf-8", "surrogatepass"), safe="/")

    path = "/" + PLACEHOLDER.sub(fill, route)
    names = st.sampled_from(PUBLIC_PARAMETERS) | st.text(min_size=1, max_size=10)
    query = draw(st.dictionaries(names, VALUES, max_size=3))
    return path, query


@pytest.fixture
def site(db):
    """Something at every kind of address, so that fuzzed values reach the views' queries."""
    home = FeedFactory(slug="top-headlines", is_homepage=True)
    topic = FeedFactory(slug="latin-america")
    timeline = TimelineFactory(slug="talks-timeline")
    PublishedStoryFactory(slug="talks-resume", feeds=[home, topic], timeline=timeline)
    return ["top-headlines", "latin-america", "talks-timeline", "talks-resume"]


def test_the_fuzz_reaches_every_public_route_and_no_admin_one():
    assert {"", "search/", "feeds/<slug:slug>/", "stories/<slug:slug>/"} <= set(ROUTES)
    assert "media/(?P<path>.+)" in ROUTES
    assert not [route for route in ROUTES if route.startswith("admin/")]


# Long addresses make page cache keys memcached would refuse; Newsroom's caches (local memory,
# Redis) take them, and the page cache is another change's concern.
@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_public_address_answers_with_a_server_error(site, data):
    path, query = data.draw(addresses(site))
    method = data.draw(st.sampled_from(["get", "head"]))
    client = Client(raise_request_exception=False)
    response = getattr(client, method)(path, query)
    assert response.status_code < 500, (method, path, query)


# --- The cases the fuzz found first ----------------------------------------------------------


@pytest.mark.parametrize("cursor", ["1-9223372036854775808", f"0-{2**70}", "1-0"])
@pytest.mark.parametrize("feed", ["home", "topic"])
def test_feed_cursor_with_an_id_no_story_can_have_is_not_found(site, client, feed, cursor):
    url = reverse("stories:home") if feed == "home" else reverse("stories:feed", args=[site[1]])
    client.raise_request_exception = False
    assert client.get(url, {"before": cursor}).status_code == 404


@pytest.mark.parametrize("query", ["\x00", "talks\x00", "\x00<script>"])
def test_search_with_a_nul_character_is_a_bad_request(site, client, query):
    client.raise_request_exception = False
    assert client.get(reverse("stories:search"), {"q": query}).status_code == 400
