"""What a story page shows, assembled in a fixed number of queries whatever its size.

Story (with hero image, timeline, videos, resources and notes as JSON), the articles it
cites, its key points and its timeline entries: four queries for any story.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.db.models import OuterRef, Q, StringAgg, TextField, Value
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime, parse_duration
from django.utils.functional import cached_property
from markupsafe import Markup

from timelines.models import EntryCitation, TimelineEntry

from .models import Article, KeyPoint, Source, Video

JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def cited_ids(item):
    """The article ids a key point or entry annotated with string_agg() cites, in order."""
    return sorted({int(part) for part in (item.cited_ids or "").split(",") if part})


def _datetime(value):
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _duration(value):
    # SQLite hands a duration over as microseconds, PostgreSQL as "hh:mm:ss".
    if value is None:
        return None
    if isinstance(value, int | float):
        return dt.timedelta(microseconds=value)
    return parse_duration(value)


@dataclass
class Citable:
    """An article in the story's numbered list; number is its [n] on the page."""

    number: int
    article: Article
    is_source: bool

    @property
    def anchor(self):
        return f"source-{self.number}"


@dataclass
class PageVideo:
    title: str
    url: str
    provider: str
    thumbnail_url: str
    duration: dt.timedelta | None

    @property
    def embed_url(self):
        """A privacy-friendly player address, loaded only when the reader asks for it."""
        parts = urlparse(self.url)
        if self.provider == Video.Provider.YOUTUBE:
            video_id = parse_qs(parts.query).get("v", [""])[0] or parts.path.rsplit("/", 1)[-1]
            return (
                f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1" if video_id else ""
            )
        if self.provider == Video.Provider.VIMEO:
            video_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
            return (
                f"https://player.vimeo.com/video/{video_id}?autoplay=1"
                if video_id.isdigit()
                else ""
            )
        return ""

    @property
    def duration_label(self):
        if not self.duration:
            return ""
        minutes, seconds = divmod(int(self.duration.total_seconds()), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@dataclass
class PageResource:
    title: str
    url: str
    description: str


@dataclass
class PageNote:
    kind: str
    text: str
    created_at: dt.datetime

    @property
    def is_correction(self):
        return self.kind == "correction"


@dataclass
class Cited:
    """A key point or timeline entry with the numbers of what it cites."""

    item: object
    citations: list = field(default_factory=list)


class StoryPage:
    def __init__(self, story):
        self.story = story
        self.timeline = story.timeline
        entries = self._entries()
        self.citables = self._number_articles(entries)
        by_article = {c.article.pk: c for c in self.citables}
        self.key_points = [
            Cited(kp, sorted((by_article[pk] for pk in cited_ids(kp)), key=_number))
            for kp in self._key_points()
        ]
        self.entries = [
            Cited(entry, sorted((by_article[pk] for pk in cited_ids(entry)), key=_number))
            for entry in entries
        ]

    def _key_points(self):
        return (
            KeyPoint.objects.filter(story=self.story)
            .annotate(cited_ids=string_agg("citation_links__source__article_id"))
            .order_by("position")  # grouped queries drop Meta.ordering
        )

    def _entries(self):
        if self.timeline is None:
            return []
        return list(
            TimelineEntry.objects.filter(timeline=self.timeline)
            .annotate(cited_ids=string_agg("citation_links__article_id"))
            .order_by("date", "position")
        )

    def _number_articles(self, entries):
        """Sources first, in their order; then articles only the timeline cites, as met."""
        story_sources = Source.objects.filter(story=self.story)
        match = Q(pk__in=story_sources.values("article_id"))
        if self.timeline is not None:
            match |= Q(
                pk__in=EntryCitation.objects.filter(entry__timeline=self.timeline).values(
                    "article_id"
                )
            )
        articles = {
            article.pk: article
            for article in Article.objects.filter(match)
            .select_related("outlet")
            .annotate(
                source_position=story_sources.filter(article=OuterRef("pk")).values("position")[:1]
            )
        }
        sources = sorted(
            (a for a in articles.values() if a.source_position is not None),
            key=lambda a: a.source_position,
        )
        citables = [Citable(n, a, True) for n, a in enumerate(sources, start=1)]
        seen = {a.pk for a in sources}
        for entry in entries:
            for pk in cited_ids(entry):
                if pk not in seen:
                    seen.add(pk)
                    citables.append(Citable(len(citables) + 1, articles[pk], False))
        return citables

    @cached_property
    def videos(self):
        return [
            PageVideo(
                title=v["title"],
                url=v["url"],
                provider=v["provider"],
                thumbnail_url=v["thumbnail_url"],
                duration=_duration(v["duration"]),
            )
            for v in _by_position(self.story.videos_data)
        ]

    @cached_property
    def resources(self):
        return [
            PageResource(r["title"], r["url"], r["description"])
            for r in _by_position(self.story.resources_data)
        ]

    @cached_property
    def notes(self):
        notes = [
            PageNote(n["kind"], n["text"], _datetime(n["created_at"]))
            for n in self.story.notes_data or []
        ]
        return sorted(notes, key=lambda note: note.created_at, reverse=True)

    @cached_property
    def related_articles(self):
        """Every article the page cites, newest first: the reading list at the end."""
        far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(
            self.citables,
            key=lambda c: (c.article.published_at or far_past, -c.number),
            reverse=True,
        )

    def json_ld(self, url, image_url=""):
        """schema.org NewsArticle, escaped so that no text can close the script element."""
        story = self.story
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.headline,
            "url": url,
            "mainEntityOfPage": url,
            "datePublished": story.published_at.isoformat() if story.published_at else None,
            "dateModified": (story.updated_at or story.published_at).isoformat()
            if (story.updated_at or story.published_at)
            else None,
            "description": story.summary or None,
            "image": [image_url] if image_url else None,
            "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
            "citation": [
                {
                    "@type": "CreativeWork",
                    "name": c.article.title,
                    "url": c.article.url,
                    "publisher": {"@type": "Organization", "name": c.article.outlet.name},
                }
                for c in self.citables
            ],
        }
        text = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)
        return Markup(text.translate(JSON_SCRIPT_ESCAPES))

    @property
    def article_count(self):
        return len(self.citables)

    @property
    def hero_image(self):
        return getattr(self.story, "hero_image", None)


def _number(citable):
    return citable.number


def _by_position(items):
    return sorted(items or [], key=lambda item: item["position"])


def string_agg(path):
    return StringAgg(Cast(path, TextField()), delimiter=Value(","))
