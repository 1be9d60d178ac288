"""The benchmark's corpus: seed-shaped story documents, and fast growth through the ORM.

`write_documents()` writes one YAML file per story in the format `manage.py load_stories`
reads (the same shape `stories.documents.dump_story` produces), so that loading them
measures the real loader. `grow()` adds plain published stories, rows written straight
through the models' tables, for the scale table, where going through the loader would take
far longer than the measurement.

Neither derives anything itself: what pages show of a story (its card, lede, search text,
feed listings) comes from the app's own derived-data seam (newsroom.derived), as it does
for every other writer.

Text is generated from a fixed vocabulary with a seeded random generator: every run builds
the same corpus, with realistic lengths (headline ~80 characters, key point body ~300,
timeline entry ~250).
"""

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

HEADLINE_CHARS = 80
SUMMARY_CHARS = 200
KEY_POINT_CHARS = 300
ENTRY_CHARS = 250

KEY_POINTS = 5
SOURCES = 10
RESOURCES = 3
# The seed timeline's dates: years, months, days, and last one looking beyond a date.
TIMELINE = [
    "2016",
    "2018",
    "2022",
    "2022-08",
    "2024-06",
    "2025-10",
    "2025-10-19",
    "2025-10-22",
    "2025-11-04",
    "2025-12-11",
    "2026-01-05",
    ("2026-02-03", "future"),
]

# Nine topic feeds, each with the words its stories are about; one home page feed on top.
HOME_FEED = {"slug": "top-headlines", "name": "Top Headlines", "is_homepage": True}
TOPICS = {
    "latin-america": ("Latin America", ["Colombia", "Bogotá", "Petro", "Caracas", "Lima"]),
    "europe": ("Europe", ["Brussels", "Berlin", "Paris", "Warsaw", "Madrid"]),
    "asia-pacific": ("Asia Pacific", ["Tokyo", "Seoul", "Jakarta", "Manila", "Canberra"]),
    "middle-east": ("Middle East", ["Riyadh", "Amman", "Cairo", "Doha", "Beirut"]),
    "africa": ("Africa", ["Nairobi", "Lagos", "Accra", "Addis", "Kinshasa"]),
    "economy": ("Economy", ["tariffs", "inflation", "markets", "exports", "bonds"]),
    "climate": ("Climate", ["emissions", "drought", "wildfires", "floods", "glaciers"]),
    "technology": ("Technology", ["chips", "satellites", "software", "robots", "networks"]),
    "health": ("Health", ["vaccines", "hospitals", "outbreak", "clinics", "nurses"]),
}
SEARCH_WORD = "Colombia"  # in about a ninth of the stories: a realistic result list

PROSE = (
    "officials said the talks would continue after a meeting that both sides described as "
    "constructive although several questions about trade security and migration remained "
    "open ministers from the region welcomed the agreement while critics warned that the "
    "details had not been published and that parliament would need to approve the budget "
    "before the new measures take effect analysts expect the decision to shape the coming "
    "election campaign as voters weigh the cost of living against promises of reform the "
    "government announced an inquiry into the incident and pledged to publish its findings "
    "within weeks opposition leaders called for a vote on the proposal next month"
)
WORDS = PROSE.split()
OUTLETS = [
    ("bbc", "BBC"),
    ("reuters", "Reuters"),
    ("ap", "Associated Press"),
    ("afp", "AFP"),
    ("guardian", "The Guardian"),
    ("el-tiempo", "El Tiempo"),
    ("le-monde", "Le Monde"),
    ("nhk", "NHK"),
    ("al-jazeera", "Al Jazeera"),
    ("dw", "Deutsche Welle"),
]


class Writer:
    """Sentences of about a given length, from a seeded generator."""

    def __init__(self, seed):
        self.random = random.Random(seed)

    def words(self, length, topic_words=()):
        # Words average six letters: length / 3 of them always overshoot, then trim.
        words = self.random.choices(WORDS + list(topic_words) * 6, k=length // 3)
        text = " ".join(words)[:length].rsplit(" ", 1)[0]
        return text[0].upper() + text[1:]

    def sentence(self, length, topic_words=()):
        return self.words(length - 1, topic_words) + "."

    def markdown(self, length, topic_words=(), link=""):
        """A paragraph with some emphasis and a link, as editors write key points."""
        text = self.sentence(length - len(link) - 20, topic_words)
        head, _, tail = text.partition(" ")
        return f"**{head}** {tail} See [the report]({link}) for *details*."


@dataclass
class Corpus:
    """What the benchmark needs to know about the corpus it built."""

    stories: int
    story_slug: str
    timeline_slug: str
    feed_slug: str
    search_word: str = SEARCH_WORD


def feeds_of(index):
    """Each story is in one topic feed; every other story is also a top headline."""
    position = index % len(TOPICS)
    slug = list(TOPICS)[position]
    topic = {"slug": slug, "name": TOPICS[slug][0], "nav_position": position + 1}
    return [HOME_FEED, topic] if index % 2 == 0 else [topic]


def story_document(index, now):
    """One seed-shaped story: 5 key points, 10 sources, 1 video, 3 resources, 12 entries."""
    write = Writer(index)
    feeds = feeds_of(index)
    topic_words = TOPICS[feeds[-1]["slug"]][1]
    slug = f"bench-story-{index:06d}"
    published = now - dt.timedelta(hours=2 + index)
    outlets = [OUTLETS[(index + i) % len(OUTLETS)] for i in range(4)]
    sources = [
        {
            "url": f"https://example.com/{outlets[i % 4][0]}/{slug}/{i}",
            "outlet": outlets[i % 4][0],
            "title": write.words(90, topic_words),
            "author": "A. Reporter",
            "published_at": iso(published - dt.timedelta(hours=i)),
        }
        for i in range(SOURCES)
    ]
    return {
        "slug": slug,
        "headline": write.words(HEADLINE_CHARS, topic_words),
        "summary": write.sentence(SUMMARY_CHARS, topic_words),
        "status": "published",
        "published_at": iso(published),
        "updated_at": iso(published + dt.timedelta(minutes=30)),
        "feeds": feeds,
        "hero_image": {
            "image_url": f"https://example.org/images/{slug}.jpg",
            "alt_text": write.sentence(70, topic_words),
            "caption": write.sentence(120, topic_words),
            "credit": "Image: Example Agency",
            "source_name": "Example Agency",
            "source_url": "https://example.org/agency",
        },
        "outlets": [
            {"slug": o, "name": name, "website": f"https://{o}.example.com/"}
            for o, name in sorted(set(outlets))
        ],
        "sources": sources,
        "key_points": [
            {
                "heading": write.words(60, topic_words),
                "body": write.markdown(KEY_POINT_CHARS, topic_words, sources[2 * i]["url"]),
                "cites": [2 * i + 1, 2 * i + 2] if i % 2 == 0 else [2 * i + 1],
            }
            for i in range(KEY_POINTS)
        ],
        "videos": [
            {
                "title": write.words(60, topic_words),
                "url": f"https://www.youtube.com/watch?v=bench{index:06d}",
                "provider": "youtube",
                "thumbnail_url": f"https://example.org/thumbnails/{slug}.jpg",
                "duration": "00:03:12",
            }
        ],
        "resources": [
            {
                "title": write.words(50, topic_words),
                "url": f"https://example.org/resources/{slug}/{i}",
                "description": write.sentence(100, topic_words),
            }
            for i in range(RESOURCES)
        ],
        "timeline": {
            "slug": f"bench-timeline-{index:06d}",
            "title": write.words(60, topic_words),
            "description": write.sentence(150, topic_words),
            "entries": [
                timeline_entry(write, i, date, topic_words) for i, date in enumerate(TIMELINE)
            ],
        },
    }


def timeline_entry(write, i, date, topic_words):
    entry = {"date": date[0], "precision": date[1]} if isinstance(date, tuple) else {"date": date}
    entry["text"] = write.sentence(ENTRY_CHARS, topic_words)
    entry["cites"] = [i % SOURCES + 1, (i + 3) % SOURCES + 1] if i % 2 else [i % SOURCES + 1]
    return entry


def iso(value):
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_documents(folder, count):
    """Write `count` story files into `folder`; returns the Corpus they make."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    for index in range(count):
        document = story_document(index, now)
        (folder / f"{document['slug']}.yaml").write_text(
            # libyaml's emitter when present: several times faster than the Python one.
            yaml.dump(document, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8",
        )
    # The measured pages: a story from the middle of the corpus, and its own timeline.
    middle = count // 2
    return Corpus(
        stories=count,
        story_slug=f"bench-story-{middle:06d}",
        timeline_slug=f"bench-timeline-{middle:06d}",
        feed_slug=feeds_of(middle)[-1]["slug"],
    )


# --- Growing the corpus for the scale table (needs Django set up) --------------------------

BATCH = 5_000
ARTICLE_POOL = 500
GROWN_SOURCES = 2
GROWN_KEY_POINTS = 2
GROWN_HEADING = "What happened ({})"
TEXT_VARIANTS = 50


def grow(total):
    """Add published stories until there are `total`; returns the number of rows written.

    Each new story is in its topic feed (and every other one in the home page feed), has a
    hero image, two sources from a shared pool of articles and two key points, and is
    interleaved in time with the loaded ones, so feeds mix old and new stories.
    """
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from newsroom import derived
    from stories.models import Story

    start = Story.objects.count()
    rows = 0
    with transaction.atomic(), derived.batch():
        context = _growth_context(start)
        for first in range(start, total, BATCH):
            indexes = range(first, min(first + BATCH, total))
            rows += _grow_batch(indexes, context)
            # Written past the ORM, so the seam is told what changed: their listings are
            # copied now, and their cards, ledes and search text are built by the seam when
            # first read (the rows are stale until then), as after a deploy.
            derived.changed_in_bulk([context["first_id"] + index for index in indexes])
        # Stories were written with their ids: move PostgreSQL's sequence past them.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Story]):
                cursor.execute(sql)
    return rows


def insert(model, rows):
    """Write rows (dicts of column attnames to values, the same keys in each) in one go.

    bulk_create compiles every value of a batch into one statement, and that was most of
    the time it took to grow 100,000 stories. Here PostgreSQL takes the rows through COPY,
    and SQLite through executemany() of one statement, with the values adapted as Django
    adapts them for the database.
    """
    from django.db import connection

    if not rows:
        return 0
    quote = connection.ops.quote_name
    names = list(rows[0])
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        [adapt(value) if isinstance(value, dt.datetime) else value for value in row.values()]
        for row in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)
    return len(rows)


def _growth_context(start):
    """What every grown story shares: feeds, a pool of articles, rendered key point bodies."""
    from stories.models import Article, Feed, KeyPoint, Outlet, Story

    outlet = Outlet.objects.order_by("pk").first()
    pool = Article.objects.bulk_create(
        Article(
            outlet=outlet,
            title=Writer(i).words(90),
            url=f"https://example.com/pool/{start}/{i}",
            published_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=i),
        )
        for i in range(ARTICLE_POOL)
    )
    bodies = []
    for i in range(10):
        key_point = KeyPoint(body=Writer(i).markdown(KEY_POINT_CHARS, link="https://example.com/"))
        key_point.render()
        bodies.append((key_point.body, key_point.body_html))
    # Headlines and summaries are drawn from a few per topic: writing 100,000 takes long.
    texts = {
        topic: [
            (Writer(i).words(HEADLINE_CHARS, words), Writer(-i).sentence(SUMMARY_CHARS, words))
            for i in range(TEXT_VARIANTS)
        ]
        for topic, (_, words) in TOPICS.items()
    }
    last = Story.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return {
        "texts": texts,
        "feed_ids": {feed.slug: feed.pk for feed in Feed.objects.all()},
        "article_ids": [article.pk for article in pool],
        "bodies": bodies,
        "now": dt.datetime.now(dt.UTC),
        # Grown stories get their ids here, so that their rows can refer to them.
        "first_id": last + 1 - start,
    }


def _grow_batch(indexes, context):
    """One batch of grown stories with their rows; returns the number of rows written."""
    from stories.models import HeroImage, KeyPoint, Source, Story

    stories = [_grown_story(index, context) for index in indexes]
    images = [
        HeroImage(
            story_id=story.pk,
            image_url=f"https://example.org/images/{story.slug}.jpg",
            alt_text="A crowd gathers in front of the parliament building.",
        )
        for story in stories
    ]
    written = insert(Story, [_row(story) for story in stories])
    memberships = [
        (context["feed_ids"][feed["slug"]], story)
        for index, story in zip(indexes, stories, strict=True)
        for feed in feeds_of(index)
    ]
    written += insert(
        Story.feeds.through,
        [{"story_id": story.pk, "feed_id": feed_id} for feed_id, story in memberships],
    )
    written += insert(HeroImage, [_row(image) for image in images])
    articles, bodies = context["article_ids"], context["bodies"]
    written += insert(
        Source,
        [
            {
                "story_id": story.pk,
                "article_id": articles[(story.pk + i) % len(articles)],
                "position": i,
            }
            for story in stories
            for i in range(1, GROWN_SOURCES + 1)
        ],
    )
    written += insert(
        KeyPoint,
        [
            {
                "story_id": story.pk,
                "position": i,
                "heading": GROWN_HEADING.format(i),
                "body": bodies[(story.pk + i) % len(bodies)][0],
                "body_html": bodies[(story.pk + i) % len(bodies)][1],
            }
            for story in stories
            for i in range(1, GROWN_KEY_POINTS + 1)
        ],
    )
    return written


def _grown_story(index, context):
    from stories.models import Story

    variants = context["texts"][feeds_of(index)[-1]["slug"]]
    headline, summary = variants[index % len(variants)]
    # Spread over two years, so grown stories land between and around loaded ones.
    minutes = (index * 7919) % (2 * 365 * 24 * 60) + 60
    published = context["now"] - dt.timedelta(minutes=minutes)
    return Story(
        pk=context["first_id"] + index,
        slug=f"bench-grown-{index:07d}",
        headline=headline,
        summary=summary,
        status=Story.Status.PUBLISHED,
        published_at=published,
        updated_at=published,
    )


def _row(instance):
    """Every column of an unsaved instance, for insert(): what save() would write."""
    from django.db.models.fields.files import FieldFile

    row = {}
    for field in instance._meta.concrete_fields:
        if field.generated or (field.primary_key and instance.pk is None):
            continue
        value = field.pre_save(instance, add=True)  # sets the auto_now times
        row[field.attname] = value.name if isinstance(value, FieldFile) else value
    return row


# --- The fallback: the same documents, written with bulk_create (needs Django set up) -------


def build(documents):
    """Write story documents with bulk_create: the rows load_stories writes, in seconds.

    Used only when load_stories fails or overruns its time limit (its write is atomic, so
    it leaves nothing behind), so that the rest of the benchmark still has its corpus. The
    bulk writes go through the models' managers, so the derived-data seam builds every
    page, card and listing, once, when the batch ends.
    """
    from django.db import transaction

    from newsroom import derived

    with transaction.atomic(), derived.batch():
        shared = _shared_rows(documents)
        stories = _build_stories(documents, shared)
        for document, story in zip(documents, stories, strict=True):
            story.document = document
        sources = _build_sources(stories, shared["outlets"])
        _build_items(stories, sources)
        _build_entries(stories, sources)


def _shared_rows(documents):
    from stories.models import Feed, Outlet
    from timelines.models import Timeline

    outlets, feeds = {}, {}
    for document in documents:
        for outlet in document["outlets"]:
            outlets.setdefault(outlet["slug"], outlet)
        for feed in document["feeds"]:
            feeds.setdefault(feed["slug"], feed)
    timelines = Timeline.objects.bulk_create(
        Timeline(
            slug=d["timeline"]["slug"],
            title=d["timeline"]["title"],
            description=d["timeline"]["description"],
        )
        for d in documents
    )
    return {
        "outlets": {
            slug: Outlet.objects.get_or_create(slug=slug, defaults=values)[0]
            for slug, values in outlets.items()
        },
        "feeds": {
            slug: Feed.objects.get_or_create(slug=slug, defaults=values)[0]
            for slug, values in feeds.items()
        },
        "timelines": timelines,
    }


def _build_stories(documents, shared):
    from stories.models import HeroImage, Story

    stories = Story.objects.bulk_create(
        Story(
            slug=d["slug"],
            headline=d["headline"],
            summary=d["summary"],
            status=d["status"],
            published_at=dt.datetime.fromisoformat(d["published_at"]),
            updated_at=dt.datetime.fromisoformat(d["updated_at"]),
            timeline=timeline,
        )
        for d, timeline in zip(documents, shared["timelines"], strict=True)
    )
    for d, story in zip(documents, stories, strict=True):
        story.feeds.add(*(shared["feeds"][feed["slug"]] for feed in d["feeds"]))
    HeroImage.objects.bulk_create(
        HeroImage(story=story, **d["hero_image"])
        for d, story in zip(documents, stories, strict=True)
    )
    return stories


def _build_sources(stories, outlets):
    """Each story's sources, in citation order: {story pk: [Source, ...]}."""
    from stories.models import Article, Source

    articles = Article.objects.bulk_create(
        Article(
            outlet=outlets[s["outlet"]],
            url=s["url"],
            title=s["title"],
            author=s["author"],
            published_at=dt.datetime.fromisoformat(s["published_at"]),
        )
        for story in stories
        for s in story.document["sources"]
    )
    articles = iter(articles)
    sources = Source.objects.bulk_create(
        Source(story=story, article=next(articles), position=position)
        for story in stories
        for position in range(1, len(story.document["sources"]) + 1)
    )
    by_story = {}
    for source in sources:
        by_story.setdefault(source.story_id, []).append(source)
    return by_story


def _build_items(stories, sources):
    from django.utils.dateparse import parse_duration

    from stories.models import ExternalResource, KeyPoint, KeyPointCitation, Video

    key_points, cites = [], []
    for story in stories:
        for position, kp in enumerate(story.document["key_points"], start=1):
            key_points.append(
                KeyPoint(story=story, position=position, heading=kp["heading"], body=kp["body"])
            )
            cites.append([sources[story.pk][n - 1] for n in kp["cites"]])
    key_points = KeyPoint.objects.bulk_create(key_points)
    KeyPointCitation.objects.bulk_create(
        KeyPointCitation(key_point=key_point, source=source)
        for key_point, cited in zip(key_points, cites, strict=True)
        for source in cited
    )
    Video.objects.bulk_create(
        Video(story=story, position=position, **{**v, "duration": parse_duration(v["duration"])})
        for story in stories
        for position, v in enumerate(story.document["videos"], start=1)
    )
    ExternalResource.objects.bulk_create(
        ExternalResource(story=story, position=position, **r)
        for story in stories
        for position, r in enumerate(story.document["resources"], start=1)
    )


def _build_entries(stories, sources):
    from stories.documents import parse_entry_date
    from timelines.models import EntryCitation, TimelineEntry

    entries, cites = [], []
    for story in stories:
        for position, e in enumerate(story.document["timeline"]["entries"], start=1):
            date, precision = parse_entry_date(e["date"], "")
            entries.append(
                TimelineEntry(
                    timeline_id=story.timeline_id,
                    position=position,
                    date=date,
                    precision=precision,
                    is_future=e.get("precision") == "future",
                    text=e["text"],
                )
            )
            cites.append([sources[story.pk][n - 1].article_id for n in e["cites"]])
    entries = TimelineEntry.objects.bulk_create(entries)
    EntryCitation.objects.bulk_create(
        EntryCitation(entry=entry, article_id=article_id)
        for entry, cited in zip(entries, cites, strict=True)
        for article_id in cited
    )
