"""The public page cache under hostile input: garbage in the cache, made-up cookies, random
query strings, a proxy's scheme. A page must never be worse than a miss."""

import pickle
import random

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import OperationalError, connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stories.models import ContentVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache():
    return caches[settings.PAGE_CACHE_ALIAS]


def page_keys(cache):
    """The page entries in the local-memory cache the suite runs with, as cache.get() takes
    them (without the ":1:" the backend adds)."""
    return [key.split(":", 2)[2] for key in cache._cache if ":page:" in key]


def entry_with(stored, **changes):
    """A stored page entry with its header fields changed (see stories.middleware)."""
    import json

    header, _, body = stored.partition(b"\n")
    fields = json.loads(header)
    fields.update(changes)
    return json.dumps(fields).encode() + b"\n" + body


GARBAGE = {
    "random bytes": lambda stored: random.Random(12).randbytes(300),
    "truncated entry": lambda stored: stored[: len(stored) // 3],
    "truncated pickle": lambda stored: pickle.dumps((200, {}, b"<html>" * 100))[:40],
    "wrong-shaped tuple": lambda stored: (200, {"Content-Type": "text/html"}),
    "tuple with status 999": lambda stored: (999, {}, b"x"),
    "entry with status 999": lambda stored: entry_with(stored, status=999),
    "entry with a header split": lambda stored: entry_with(
        stored, headers=[["Content-Type", "text/html\r\nSet-Cookie: a=b"]]
    ),
    "entry with headers of the wrong shape": lambda stored: entry_with(stored, headers={"a": 1}),
    "entry that sets a cookie": lambda stored: entry_with(
        stored, headers=[["Set-Cookie", "sessionid=fixed-by-an-attacker"]]
    ),
    "not bytes at all": lambda stored: {"status": 200},
}


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_garbage_under_a_page_key_is_a_miss_and_is_overwritten(
    client, page_cache, published_story, kind
):
    url = published_story.get_absolute_url()
    assert client.get(url).status_code == 200
    [key] = page_keys(page_cache)
    page_cache.set(key, GARBAGE[kind](page_cache.get(key)))

    response = client.get(url)

    assert response.status_code == 200
    assert published_story.headline in response.text
    assert "Set-Cookie" not in response.headers
    stored = page_cache.get(key)
    assert isinstance(stored, bytes)
    assert published_story.headline.encode() in stored
    again = client.get(url)
    assert again.status_code == 200
    assert again.content == response.content


def test_a_page_entry_is_plain_bytes_not_a_pickled_object(client, page_cache, published_story):
    client.get(published_story.get_absolute_url())
    [key] = page_keys(page_cache)
    stored = page_cache.get(key)

    assert isinstance(stored, bytes)
    assert published_story.headline.encode() in stored


# --- Who bypasses the cache -------------------------------------------------------------------


def test_a_made_up_session_cookie_is_served_from_the_page_cache(
    client, published_story, django_assert_max_num_queries
):
    url = published_story.get_absolute_url()
    client.get(url)
    client.cookies[settings.SESSION_COOKIE_NAME] = "made-up"

    with django_assert_max_num_queries(0):
        response = client.get(url)

    assert response.status_code == 200


def test_a_logged_in_editor_gets_a_marker_and_bypasses_the_page_cache(
    client, editor, published_story
):
    url = published_story.get_absolute_url()
    client.get(url)  # cached for readers
    response = client.post(
        reverse("admin:login"),
        {"username": editor.username, "password": "not-a-real-password", "next": "/admin/"},
    )
    assert response.status_code == 302

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert queries, "an editor's page came from the page cache"

    client.post(reverse("admin:logout"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert not queries, "a reader again after logging out: the cached page"


def test_a_forged_editor_marker_is_served_from_the_page_cache(
    client, published_story, django_assert_max_num_queries
):
    url = published_story.get_absolute_url()
    client.get(url)
    client.cookies[settings.SESSION_COOKIE_NAME] = "made-up"
    client.cookies["newsroom_editor"] = "made-up:signature"

    with django_assert_max_num_queries(0):
        assert client.get(url).status_code == 200


# --- What keys a page -------------------------------------------------------------------------


def test_query_parameters_a_page_does_not_use_share_its_cache_entry(
    client, page_cache, published_story, django_assert_max_num_queries
):
    url = published_story.get_absolute_url()
    client.get(f"{url}?utm_source=a")

    for junk in ("utm_source=b", "x=1&y=2", "before=zzz"):
        with django_assert_max_num_queries(0):
            assert client.get(f"{url}?{junk}").status_code == 200
    assert len(page_keys(page_cache)) == 1


def test_query_parameters_a_page_uses_key_it_in_a_normal_order(
    client, page_cache, published_story, django_assert_max_num_queries
):
    search = reverse("stories:search")
    client.get(f"{search}?q=Vorpaline&utm_source=a")

    with django_assert_max_num_queries(0):
        response = client.get(f"{search}?utm_source=b&q=Vorpaline")
    assert published_story.headline in response.text
    other = client.get(f"{search}?q=nothing-matches-this")
    assert published_story.headline not in other.text
    assert len(page_keys(page_cache)) == 2


def test_https_readers_behind_a_proxy_never_get_an_http_page(client, settings, published_story):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SITE_URL = "https://testserver"
    url = published_story.get_absolute_url()
    # The proxy speaks plain HTTP to the app whatever the reader used: same Host, same port.
    # A page cached from a plain request must not give https readers http addresses.
    plain = client.get(url, headers={"Host": "testserver", "X-Forwarded-Proto": "http"})
    secure = client.get(url, headers={"Host": "testserver", "X-Forwarded-Proto": "https"})

    for response in (plain, secure):
        assert 'href="https://testserver' in response.text
        assert 'href="http://testserver' not in response.text


def test_an_unsafe_next_after_login_lands_on_the_admin(client, editor):
    response = client.post(
        reverse("admin:login") + "?next=https://evil.example/",
        {
            "username": editor.username,
            "password": "not-a-real-password",
            "next": "https://evil.example/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200


# --- The content state ----------------------------------------------------------------------


def test_a_cached_page_needs_no_database_read(client, published_story, django_assert_num_queries):
    url = published_story.get_absolute_url()
    client.get(url)

    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_an_edit_is_served_on_the_next_request(client, published_story):
    url = published_story.get_absolute_url()
    client.get(url)
    published_story.headline = "Edited after caching"
    published_story.save()

    assert "Edited after caching" in client.get(url).text


def test_a_content_state_missing_from_the_cache_is_read_again(client, page_cache, published_story):
    url = published_story.get_absolute_url()
    client.get(url)
    page_cache.clear()

    assert published_story.headline in client.get(url).text


def test_an_edit_whose_cache_write_failed_shows_once_the_shared_state_is_old(
    client, settings, published_story
):
    """An edit the cache did not hear of (Redis away at that moment) is only as late as
    SHARED_STATE_SECONDS: then the row is read again."""
    url = published_story.get_absolute_url()
    client.get(url)
    ContentVersion.objects.update(version=F("version") + 1)  # as if the cache write failed
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not queries, "within SHARED_STATE_SECONDS the shared state is trusted"

    settings.SHARED_STATE_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) > 1, "the page was not rendered again at the new version"


def test_cached_pages_are_served_while_the_database_is_unreachable(
    client, settings, monkeypatch, published_story
):
    url = published_story.get_absolute_url()
    cached = client.get(url)
    settings.SHARED_STATE_SECONDS = 0  # the shared state is due to be read again

    def unreachable():
        raise OperationalError("the database did not answer within 1.0 s")

    monkeypatch.setattr(ContentVersion, "current", unreachable)
    response = client.get(url)

    assert response.status_code == 200
    assert response.content == cached.content
