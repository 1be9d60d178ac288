"""factory-boy factories for every newsroom model, and a seed-shaped story builder.

Unique columns (slugs, names, URLs, positions) come from sequences, so any number of rows
can be built in one test. Placeholder addresses use the reserved example.com / example.org
domains.
"""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from stories.models import (
    Article,
    ExternalResource,
    Feed,
    HeroImage,
    KeyPoint,
    KeyPointCitation,
    Outlet,
    Source,
    Story,
    StoryNote,
    Video,
)
from timelines.models import EntryCitation, Timeline, TimelineEntry


def an_hour_ago():
    return timezone.now() - datetime.timedelta(hours=1)


class FeedFactory(DjangoModelFactory):
    class Meta:
        model = Feed

    name = factory.Sequence(lambda n: f"Feed {n}")
    slug = factory.Sequence(lambda n: f"feed-{n}")
    description = "Stories about one subject."
    nav_position = factory.Sequence(lambda n: n)


class StoryFactory(DjangoModelFactory):
    class Meta:
        model = Story
        # The feeds hook writes the M2M rows itself; no second save of the story is needed.
        skip_postgeneration_save = True

    class Params:
        published = factory.Trait(
            status=Story.Status.PUBLISHED,
            published_at=factory.LazyFunction(an_hour_ago),
            updated_at=factory.SelfAttribute("published_at"),
        )

    headline = factory.Sequence(lambda n: f"Story headline {n}")
    slug = factory.Sequence(lambda n: f"story-{n}")
    summary = "One or two sentences that say what happened."
    status = Story.Status.DRAFT

    @factory.post_generation
    def feeds(self, create, extracted, **kwargs):
        if create and extracted:
            self.feeds.set(extracted)


class PublishedStoryFactory(StoryFactory):
    status = Story.Status.PUBLISHED
    published_at = factory.LazyFunction(an_hour_ago)
    updated_at = factory.SelfAttribute("published_at")


class HeroImageFactory(DjangoModelFactory):
    class Meta:
        model = HeroImage

    story = factory.SubFactory(StoryFactory)
    image_url = factory.Sequence(lambda n: f"https://example.org/images/{n}.jpg")
    alt_text = "Two presidents shake hands in front of their flags."
    caption = "The two leaders met at the White House."
    credit = "Image: Example Agency"
    source_name = "Example Agency"
    source_url = "https://example.org/agency"


class OutletFactory(DjangoModelFactory):
    class Meta:
        model = Outlet

    name = factory.Sequence(lambda n: f"Outlet {n}")
    slug = factory.Sequence(lambda n: f"outlet-{n}")
    website = factory.Sequence(lambda n: f"https://outlet-{n}.example.com/")


class ArticleFactory(DjangoModelFactory):
    class Meta:
        model = Article

    outlet = factory.SubFactory(OutletFactory)
    title = factory.Sequence(lambda n: f"Article title {n}")
    url = factory.Sequence(lambda n: f"https://example.com/articles/{n}")
    author = "A. Reporter"
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    story = factory.SubFactory(StoryFactory)
    article = factory.SubFactory(ArticleFactory)
    position = factory.Sequence(lambda n: n)


class KeyPointFactory(DjangoModelFactory):
    class Meta:
        model = KeyPoint

    story = factory.SubFactory(StoryFactory)
    heading = factory.Sequence(lambda n: f"Key point {n}")
    body = "What happened, with *emphasis* and a [link](https://example.com/)."
    position = factory.Sequence(lambda n: n)


class KeyPointCitationFactory(DjangoModelFactory):
    class Meta:
        model = KeyPointCitation

    key_point = factory.SubFactory(KeyPointFactory)
    # A key point cites a source of its own story.
    source = factory.SubFactory(SourceFactory, story=factory.SelfAttribute("..key_point.story"))


class VideoFactory(DjangoModelFactory):
    class Meta:
        model = Video

    story = factory.SubFactory(StoryFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    url = factory.Sequence(lambda n: f"https://video.example.com/watch/{n}")
    provider = Video.Provider.OTHER
    thumbnail_url = factory.Sequence(lambda n: f"https://example.org/thumbnails/{n}.jpg")
    duration = datetime.timedelta(minutes=3, seconds=12)
    position = factory.Sequence(lambda n: n)


class ExternalResourceFactory(DjangoModelFactory):
    class Meta:
        model = ExternalResource

    story = factory.SubFactory(StoryFactory)
    title = factory.Sequence(lambda n: f"Resource {n}")
    url = factory.Sequence(lambda n: f"https://example.com/resources/{n}")
    description = "Background reading."
    position = factory.Sequence(lambda n: n)


class StoryNoteFactory(DjangoModelFactory):
    class Meta:
        model = StoryNote

    story = factory.SubFactory(StoryFactory)
    kind = StoryNote.Kind.UPDATE
    text = "This story has been updated with the latest figures."


class TimelineFactory(DjangoModelFactory):
    class Meta:
        model = Timeline

    title = factory.Sequence(lambda n: f"Timeline {n}")
    slug = factory.Sequence(lambda n: f"timeline-{n}")
    description = "How we got here."


class TimelineEntryFactory(DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    timeline = factory.SubFactory(TimelineFactory)
    date = datetime.date(2025, 12, 11)
    precision = TimelineEntry.Precision.DAY
    text = factory.Sequence(lambda n: f"Something **happened** ({n}).")
    position = factory.Sequence(lambda n: n)


class EntryCitationFactory(DjangoModelFactory):
    class Meta:
        model = EntryCitation

    entry = factory.SubFactory(TimelineEntryFactory)
    article = factory.SubFactory(ArticleFactory)


# --- A story shaped like the seed --------------------------------------------------------

_P = TimelineEntry.Precision
SEED_TIMELINE = [
    (datetime.date(2016, 1, 1), _P.YEAR),
    (datetime.date(2018, 1, 1), _P.YEAR),
    (datetime.date(2022, 1, 1), _P.YEAR),
    (datetime.date(2022, 8, 1), _P.MONTH),
    (datetime.date(2024, 6, 1), _P.MONTH),
    (datetime.date(2025, 10, 1), _P.MONTH),
    (datetime.date(2025, 10, 19), _P.DAY),
    (datetime.date(2025, 10, 22), _P.DAY),
    (datetime.date(2025, 11, 4), _P.DAY),
    (datetime.date(2025, 12, 11), _P.DAY),
    (datetime.date(2026, 1, 5), _P.DAY),
    (datetime.date(2026, 2, 3), "future"),  # a day, looked beyond
]
SEED_SOURCES = 10
SEED_KEY_POINTS = 5
SEED_RESOURCES = 3


def seed_shaped_story(*, feeds=None, outlets=None, **kwargs):
    """One published story with every section the seed has, in about fifteen queries.

    feeds: the feeds to list it in (two new ones when not given).
    outlets: the outlets its articles come from (three new ones when not given); pass the
        same ones to many calls to build a corpus where outlets are shared.
    Other keyword arguments go to PublishedStoryFactory (headline, slug, published_at, ...).
    """
    if feeds is None:
        feeds = FeedFactory.create_batch(2)
    if outlets is None:
        outlets = OutletFactory.create_batch(3)

    timeline = TimelineFactory()
    kwargs.setdefault("timeline", timeline)
    story = PublishedStoryFactory(feeds=feeds, **kwargs)
    HeroImageFactory(story=story)

    articles = Article.objects.bulk_create(
        ArticleFactory.build(outlet=outlets[i % len(outlets)]) for i in range(SEED_SOURCES)
    )
    sources = Source.objects.bulk_create(
        Source(story=story, article=article, position=i)
        for i, article in enumerate(articles, start=1)
    )

    key_points = [
        KeyPointFactory.build(story=story, position=i) for i in range(1, SEED_KEY_POINTS + 1)
    ]
    key_points = KeyPoint.objects.bulk_create(key_points)
    KeyPointCitation.objects.bulk_create(
        KeyPointCitation(key_point=key_point, source=source)
        for i, key_point in enumerate(key_points)
        # Each key point cites one or two sources.
        for source in sources[2 * i : 2 * i + (2 if i % 2 == 0 else 1)]
    )

    VideoFactory(story=story, position=1)
    ExternalResource.objects.bulk_create(
        ExternalResourceFactory.build(story=story, position=i)
        for i in range(1, SEED_RESOURCES + 1)
    )

    entries = [
        TimelineEntryFactory.build(
            timeline=timeline,
            date=date,
            precision=_P.DAY if precision == "future" else precision,
            is_future=precision == "future",
            position=i,
        )
        for i, (date, precision) in enumerate(SEED_TIMELINE, start=1)
    ]
    entries = TimelineEntry.objects.bulk_create(entries)
    EntryCitation.objects.bulk_create(
        EntryCitation(entry=entry, article=articles[(i + step) % SEED_SOURCES])
        for i, entry in enumerate(entries)
        # Each entry cites one or two of the story's source articles.
        for step in ((0, 3) if i % 2 else (0,))
    )
    story.refresh_from_db()
    return story
