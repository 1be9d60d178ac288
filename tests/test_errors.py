"""Error pages: our own 404, 500 and 503, with nothing of the server's insides in them.

The 500 and 503 tests route to views that fail, through this module as the URLconf: the
project's own patterns and error handlers plus two views that raise.
"""

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import path, reverse

from newsroom import urls as project_urls
from stories.models import Story
from tests.factories import FeedFactory, TimelineFactory, seed_shaped_story
from tests.xss_vectors import audit_html

pytestmark = pytest.mark.django_db

# What a debug page or a leaked exception would show.
INSIDES = ["Traceback", "SECRET_KEY", "DATABASES", "settings.py", "Django tried these URL"]


class Failure(Exception):
    """A programming error whose message must never reach a reader."""


def broken_view(request):
    raise Failure("SECRET_KEY leaked in an exception message")


def database_down_view(request):
    raise OperationalError('connection to server at "db" failed: Connection refused')


def database_gone_view(request):
    raise InterfaceError("connection already closed")


urlpatterns = [
    path("broken/", broken_view),
    path("database-down/", database_down_view),
    path("database-gone/", database_gone_view),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500


@pytest.fixture
def reader(client):
    """An anonymous reader who sees the error page, as a browser would, not the exception."""
    client.raise_request_exception = False
    return client


def assert_nothing_of_the_insides(response):
    content = response.content.decode()
    for leak in INSIDES:
        assert leak not in content


# --- 404 -------------------------------------------------------------------------------------


@pytest.fixture
def missing(db):
    """name -> an address that has nothing readers may see."""
    FeedFactory(slug="a-feed")
    TimelineFactory(slug="a-timeline-no-published-story-shows")
    return {
        "story": reverse("stories:story", kwargs={"slug": "no-such-story"}),
        "feed": reverse("stories:feed", kwargs={"slug": "no-such-feed"}),
        "feed rss": reverse("stories:feed_rss", kwargs={"slug": "no-such-feed"}),
        "timeline": reverse("timelines:timeline", kwargs={"slug": "no-such-timeline"}),
        "unpublished timeline": reverse(
            "timelines:timeline", kwargs={"slug": "a-timeline-no-published-story-shows"}
        ),
        "unknown address": "/no/such/address/",
        "feed page past the end": f"{reverse('stories:feed', kwargs={'slug': 'a-feed'})}"
        "?before=not-a-cursor",
    }


@pytest.mark.parametrize(
    "name",
    [
        "story",
        "feed",
        "feed rss",
        "timeline",
        "unpublished timeline",
        "unknown address",
        "feed page past the end",
    ],
)
def test_missing_page_gets_our_404_page(reader, missing, settings, name):
    assert not settings.DEBUG
    response = reader.get(missing[name])
    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Page not found</h1>" in content
    assert "No story lives at this address" not in content  # the exception's own words
    assert_nothing_of_the_insides(response)
    assert audit_html(content).problems == []


# --- 500 and 503 -----------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_unhandled_error_gets_our_500_page(reader):
    response = reader.get("/broken/")
    assert response.status_code == 500
    content = response.content.decode()
    assert "<h1>Something went wrong</h1>" in content
    assert "Failure" not in content
    assert "leaked" not in content
    assert_nothing_of_the_insides(response)
    assert audit_html(content).problems == []


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/database-down/", "/database-gone/"])
def test_database_outage_gets_503_with_retry_after(reader, url):
    response = reader.get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    assert "<h1>Back in a moment</h1>" in content
    assert "Connection refused" not in content
    assert_nothing_of_the_insides(response)
    assert audit_html(content).problems == []


def test_database_outage_before_the_view_gets_503(reader, monkeypatch, django_assert_num_queries):
    """The first thing a public request reads is the content version, in the page cache
    middleware: when the server is away, that is where the error comes from."""

    def unreachable():
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr("stories.middleware.ContentVersion.current", unreachable)
    with django_assert_num_queries(0):  # the 503 page itself needs no database
        response = reader.get(reverse("stories:home"))
    assert response.status_code == 503
    assert "Back in a moment" in response.content.decode()
    assert response["Retry-After"]


@pytest.mark.urls(__name__)
def test_error_pages_are_never_stored_by_the_page_cache(reader):
    assert reader.get("/database-down/").status_code == 503
    assert reader.get("/database-down/").status_code == 503  # still failing, not a cached page
    assert reader.get("/broken/").status_code == 500
    assert reader.get("/broken/").status_code == 500


# --- Unpublished content ---------------------------------------------------------------------


def test_a_draft_headline_appears_on_no_public_page(client, published_story, topic_feed):
    draft = seed_shaped_story(
        feeds=[published_story.feeds.get(is_homepage=True), topic_feed],
        headline="Zanthorine draft must stay unseen",
        slug="zanthorine-draft",
        status=Story.Status.DRAFT,
        published_at=None,
        updated_at=None,
    )
    pages = [
        reverse("stories:home"),
        topic_feed.get_absolute_url(),
        reverse("stories:rss"),
        reverse("stories:atom"),
        reverse("stories:feed_rss", kwargs={"slug": topic_feed.slug}),
        reverse("stories:feed_atom", kwargs={"slug": topic_feed.slug}),
        reverse("sitemap"),
        reverse("news_sitemap"),
        f"{reverse('stories:search')}?q=Zanthorine",
        published_story.get_absolute_url(),
        published_story.timeline.get_absolute_url(),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        # The search page repeats the query word; the headline itself must be nowhere.
        assert draft.headline not in response.content.decode(), url
        assert draft.slug not in response.content.decode(), url
    for url in (draft.get_absolute_url(), draft.timeline.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 404, url
        assert draft.headline not in response.content.decode(), url
