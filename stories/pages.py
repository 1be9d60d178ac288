"""Story and timeline pages, assembled when their content changes rather than when read.

refresh_story() and refresh_timeline() run whenever something a page shows is saved or
deleted (see stories.signals): they gather everything the page lists, number the citations,
render the page body (and the story's card for feeds) once and store it on the row. A page
view then reads one row and renders only what depends on the moment: "Updated 2 hours ago",
the preview banner.
"""

import itertools
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, StringAgg, TextField, Value
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone

from timelines.models import Timeline, TimelineEntry

from .models import Article, KeyPoint, Source, Story

# Escapes that keep JSON inside a <script> element from ending it early.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@dataclass
class Citable:
    """An article in a page's numbered list; number is its [n] on the page."""

    number: int
    article: Article
    is_source: bool

    @property
    def anchor(self):
        return f"source-{self.number}"


@dataclass
class Cited:
    """A key point or timeline entry with the numbered articles it cites."""

    item: object
    citations: list = field(default_factory=list)


def string_agg(path):
    return StringAgg(Cast(path, TextField()), delimiter=Value(","))


def cited_ids(item):
    """The article ids a key point or entry annotated with string_agg() cites."""
    return sorted({int(part) for part in (item.cited_ids or "").split(",") if part})


# What a page lists, read for a whole batch of stories or timelines at once (refresh_*()).
# Grouped queries drop Meta.ordering: the annotated ones give theirs.
ENTRIES = TimelineEntry.objects.annotate(cited_ids=string_agg("citation_links__article_id"))
TIMELINE_PAGE = [Prefetch("entries", ENTRIES.order_by("date", "position"), to_attr="page_entries")]
STORY_PAGE = [
    Prefetch("timeline__entries", ENTRIES.order_by("date", "position"), to_attr="page_entries"),
    Prefetch("sources", Source.objects.select_related("article__outlet"), to_attr="page_sources"),
    Prefetch(
        "key_points",
        KeyPoint.objects.annotate(
            cited_ids=string_agg("citation_links__source__article_id")
        ).order_by("position"),
        to_attr="page_key_points",
    ),
    "videos",
    "resources",
    "notes",
]
# Stories or timelines rebuilt per round of queries.
REFRESH_BATCH = 200


class StoryPage:
    """Everything on a story page, for rendering its body."""

    def __init__(self, story):
        """`story` as refresh_stories() reads it: with STORY_PAGE prefetched."""
        self.story = story
        self.timeline = story.timeline
        entries = self.timeline.page_entries if self.timeline else []
        self.citables = self._number_articles(entries)
        by_article = {c.article.pk: c for c in self.citables}
        self.key_points = [
            Cited(kp, [by_article[pk] for pk in cited_ids(kp)]) for kp in story.page_key_points
        ]
        self.entries = [Cited(e, [by_article[pk] for pk in cited_ids(e)]) for e in entries]
        for cited in (*self.key_points, *self.entries):
            cited.citations.sort(key=lambda citable: citable.number)
        self.videos = list(story.videos.all())
        self.resources = list(story.resources.all())
        self.notes = list(story.notes.all())

    def _number_articles(self, entries):
        """Sources first, in their order; then articles only the timeline cites, as met."""
        sources = self.story.page_sources
        citables = [Citable(n, s.article, True) for n, s in enumerate(sources, start=1)]
        extra_ids = [pk for entry in entries for pk in cited_ids(entry)]
        extras = Article.objects.select_related("outlet").in_bulk(
            set(extra_ids) - {s.article_id for s in sources}
        )
        for pk in extra_ids:
            if pk in extras:
                citables.append(Citable(len(citables) + 1, extras.pop(pk), False))
        return citables

    @property
    def hero_image(self):
        return getattr(self.story, "hero_image", None)

    @property
    def lede(self):
        return self.key_points[0].item.heading if self.key_points else ""

    @property
    def related_articles(self):
        """Every article the page cites, newest first: the reading list at the end."""
        return sorted(
            self.citables,
            key=lambda c: (c.article.published_at is not None, c.article.published_at, -c.number),
            reverse=True,
        )

    def json_ld(self):
        """schema.org NewsArticle, escaped so that no text can close the script element."""
        story, image = self.story, self.hero_image
        url = absolute(story.get_absolute_url())
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.headline,
            "url": url,
            "mainEntityOfPage": url,
            "datePublished": iso(story.published_at),
            "dateModified": iso(story.updated_at or story.published_at),
            "description": story.summary or self.lede or None,
            "image": [absolute(image.src)] if image else None,
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
        return text.translate(JSON_SCRIPT_ESCAPES)

    def search_text(self):
        parts = [self.story.headline, self.story.summary]
        for cited in self.key_points:
            parts += [cited.item.heading, cited.item.body]
        parts += [cited.item.text for cited in self.entries]
        return "\n".join(parts)


class TimelinePage:
    """Everything on a timeline page but the stories showing it (they change with status)."""

    def __init__(self, timeline):
        """`timeline` as refresh_timelines() reads it: with TIMELINE_PAGE prefetched."""
        self.timeline = timeline
        entries = timeline.page_entries
        order = list(dict.fromkeys(pk for entry in entries for pk in cited_ids(entry)))
        articles = Article.objects.select_related("outlet").in_bulk(order)
        self.citables = [Citable(n, articles[pk], False) for n, pk in enumerate(order, start=1)]
        by_article = {c.article.pk: c for c in self.citables}
        self.entries = [Cited(e, [by_article[pk] for pk in cited_ids(e)]) for e in entries]
        for cited in self.entries:
            cited.citations.sort(key=lambda citable: citable.number)


def refresh_story(story_id):
    refresh_stories([story_id])


def refresh_stories(story_ids):
    """Rebuild these stories' stored pages (any status: editors preview drafts with them).

    What the pages list is read for REFRESH_BATCH stories at a time, one query per kind of
    item: a load of a thousand stories would otherwise send ten thousand queries.
    """
    stories = Story.objects.select_related("hero_image", "timeline").prefetch_related(*STORY_PAGE)
    # Each batch is read in full before its pages are written (SQLite cannot read a table
    # while it writes it); a story deleted in the meantime is simply not there.
    for batch in itertools.batched(sorted(filter(None, story_ids)), REFRESH_BATCH):
        for story in stories.filter(pk__in=batch).order_by():
            _store_story_page(story)


def _store_story_page(story):
    page = StoryPage(story)
    lede = page.lede[:300]
    Story.objects.filter(pk=story.pk).update(
        body_html=render_to_string("stories/story_body.html", {"story": story, "page": page}),
        card_html=render_card(story, page.hero_image, lede, len(page.citables)),
        json_ld=page.json_ld(),
        lede=lede,
        article_count=len(page.citables),
        search_text=page.search_text(),
        modified_at=timezone.now(),
    )


def render_card(story, image, lede, article_count):
    """The story's card for feeds and search results (stored as Story.card_html)."""
    return render_to_string(
        "includes/story_card.html",
        {"story": story, "image": image, "lede": lede or story.summary, "count": article_count},
    )


def refresh_timeline(timeline_id):
    refresh_timelines([timeline_id])


def refresh_timelines(timeline_ids):
    """Rebuild these timelines' stored pages (see refresh_stories())."""
    timelines = Timeline.objects.prefetch_related(*TIMELINE_PAGE)
    for batch in itertools.batched(sorted(filter(None, timeline_ids)), REFRESH_BATCH):
        for timeline in timelines.filter(pk__in=batch).order_by():
            _store_timeline_page(timeline)


def _store_timeline_page(timeline):
    page = TimelinePage(timeline)
    Timeline.objects.filter(pk=timeline.pk).update(
        body_html=render_to_string("timelines/timeline_body.html", {"page": page}),
        modified_at=timezone.now(),
    )


def absolute(url):
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL.rstrip("/") + url


def iso(value):
    return value.isoformat() if value else None
