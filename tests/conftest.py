"""Fixtures shared by every test package."""

import datetime
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from stories.models import Article, KeyPoint, KeyPointCitation, Source, Story
from tests.factories import (
    ArticleFactory,
    ExternalResourceFactory,
    FeedFactory,
    HeroImageFactory,
    KeyPointFactory,
    OutletFactory,
    PublishedStoryFactory,
    StoryNoteFactory,
    TimelineEntryFactory,
    TimelineFactory,
    VideoFactory,
    seed_shaped_story,
)
from timelines.models import EntryCitation, TimelineEntry

# --- Model fixtures (factories live in tests/factories.py) ---------------------------------


@pytest.fixture
def story(db):
    """A published story shaped like the seed: every section filled in."""
    return seed_shaped_story()


# --- Fixtures added later go below ---------------------------------------------------------


@pytest.fixture
def parse_html():
    """Parse a response's HTML into elements a test can query.

    page = parse_html(response); page.find("h1").text; page.find_all("a", class_="cite")
    """

    def parse(response):
        builder = _TreeBuilder()
        builder.feed(response.content.decode(response.charset or "utf-8"))
        builder.close()
        return builder.root

    return parse


@pytest.fixture
def homepage_feed(db):
    return FeedFactory(name="Top Headlines", slug="top-headlines", is_homepage=True)


@pytest.fixture
def topic_feed(db):
    return FeedFactory(name="Latin America", slug="latin-america")


@pytest.fixture
def published_story(homepage_feed, topic_feed):
    """A published story in the home page feed and a topic feed, findable by search."""
    return seed_shaped_story(
        feeds=[homepage_feed, topic_feed],
        headline="Vorpaline talks resume in Havana",
        slug="vorpaline-talks-resume",
    )


UNPUBLISHED_STATES = {
    "draft": lambda: {"status": Story.Status.DRAFT, "published_at": None, "updated_at": None},
    "in-review": lambda: {
        "status": Story.Status.IN_REVIEW,
        "published_at": None,
        "updated_at": None,
    },
    "archived": lambda: {
        "status": Story.Status.ARCHIVED,
        "published_at": timezone.now() - datetime.timedelta(days=3),
    },
    "scheduled": lambda: {
        "status": Story.Status.PUBLISHED,
        "published_at": timezone.now() + datetime.timedelta(days=1),
    },
}


@pytest.fixture(params=list(UNPUBLISHED_STATES))
def unpublished_story(request, homepage_feed, topic_feed, published_story):
    """A story readers must not see, once for each unpublished state.

    It sits in the same feeds as `published_story` and shares a headline word with it, so
    every surface that hides it still has something to show; its timeline is its own.
    """
    return seed_shaped_story(
        feeds=[homepage_feed, topic_feed],
        headline="Vorpaline ceasefire collapses overnight",
        slug="vorpaline-ceasefire-collapses",
        **UNPUBLISHED_STATES[request.param](),
    )


@pytest.fixture
def sized_story(db):
    """Build a published story with a given number of sources, key points and entries.

    Each key point cites two sources; each entry cites a source and an article only the
    timeline cites, so every kind of citation grows with the story.
    """

    def build(*, sources, key_points, entries):
        outlets = OutletFactory.create_batch(2)
        story = PublishedStoryFactory(timeline=TimelineFactory(), feeds=[FeedFactory()])
        HeroImageFactory(story=story)
        VideoFactory.create_batch(2, story=story)
        ExternalResourceFactory.create_batch(2, story=story)
        StoryNoteFactory(story=story)
        articles = Article.objects.bulk_create(
            ArticleFactory.build(outlet=outlets[i % 2]) for i in range(sources + entries)
        )
        source_rows = Source.objects.bulk_create(
            Source(story=story, article=article, position=i)
            for i, article in enumerate(articles[:sources], start=1)
        )
        points = [KeyPointFactory.build(story=story, position=i) for i in range(key_points)]
        points = KeyPoint.objects.bulk_create(points)
        KeyPointCitation.objects.bulk_create(
            KeyPointCitation(key_point=point, source=source_rows[(i + step) % sources])
            for i, point in enumerate(points)
            for step in (0, 1)
        )
        rows = [
            TimelineEntryFactory.build(
                timeline=story.timeline,
                date=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
                position=i,
            )
            for i in range(entries)
        ]
        rows = TimelineEntry.objects.bulk_create(rows)
        EntryCitation.objects.bulk_create(
            EntryCitation(entry=row, article=article)
            for i, row in enumerate(rows)
            for article in (articles[i % sources], articles[sources + i])
        )
        story.refresh_from_db()
        return story

    return build


class Element:
    """An element of a parsed page: its tag, attributes and children (elements and text)."""

    def __init__(self, tag, attrs=(), parent=None):
        self.tag = tag
        self.attrs = {name: value or "" for name, value in attrs}
        self.parent = parent
        self.children = []

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"

    @property
    def text(self):
        """The text inside, white space collapsed as a browser shows it."""
        return " ".join("".join(self._strings()).split())

    def _strings(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._strings()

    def iter(self):
        """Every element inside, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, *, class_=None, **attrs):
        """Elements by tag, class (one of its classes) and exact attribute values.

        Attribute names are written with underscores for dashes: aria_label="...".
        """
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and (class_ is None or class_ in element.attrs.get("class", "").split())
            and all(element.attrs.get(name) == value for name, value in wanted.items())
        ]

    def find(self, tag=None, **kwargs):
        """The one element that matches; the test fails if there are none or several."""
        found = self.find_all(tag, **kwargs)
        assert len(found) == 1, f"expected one <{tag}> matching {kwargs}, found {len(found)}"
        return found[0]


class _TreeBuilder(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        element = self.current
        while element is not self.root and element.tag != tag:
            element = element.parent
        if element is not self.root:
            self.current = element.parent

    def handle_data(self, data):
        self.current.children.append(data)


# --- Admin users: one per newsroom role, in the groups the data migration creates ---------


def _staff_member(django_user_model, username, group_name):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=username, password="not-a-real-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor(db, django_user_model):
    """A staff member in the Editors group: may publish, schedule and archive."""
    return _staff_member(django_user_model, "edna-editor", "Editors")


@pytest.fixture
def reporter(db, django_user_model):
    """A staff member in the Reporters group: writes drafts and sends them to review."""
    return _staff_member(django_user_model, "rory-reporter", "Reporters")


@pytest.fixture
def editor_client(editor):
    """Logged in as `editor`; the `client` fixture stays an anonymous reader."""
    from django.test import Client

    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def reporter_client(reporter):
    """Logged in as `reporter`; the `client` fixture stays an anonymous reader."""
    from django.test import Client

    client = Client()
    client.force_login(reporter)
    return client


@pytest.fixture(autouse=True)
def _empty_caches():
    """Every test starts with empty caches: no page rendered by an earlier test leaks in."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
