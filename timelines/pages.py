"""A timeline page's stored body: its entries with their numbered sources.

The derived-data seam (newsroom.derived) reads timelines with PAGE_READ and stores what
columns() returns whenever something the page shows changes.

A source has one number wherever it is shown with its story: the page numbers its citations
as the story page of its first published story does (its sources first, in their order,
then the articles only the timeline cites), and says whose numbers they are. That story
can change without a write (another story published earlier is unpublished, a scheduled one
comes out), so the view checks it on every read against the stories it reads anyway.
"""

from collections import defaultdict
from typing import NamedTuple

from django.db.models import Prefetch
from django.template.loader import render_to_string

from newsroom.citations import Citable, cite, cited_ids
from stories.models import Article, Source, Story

from .models import TimelineEntry

# What a page lists, read for a whole batch of timelines at once (and read_for()).
PAGE_READ = [Prefetch("entries", TimelineEntry.objects.for_pages(), to_attr="page_entries")]


def numbering_story(stories):
    """Of the published stories showing a timeline, the one whose numbers its page uses:
    the first published (the story it was made for, as a rule)."""
    return min(stories, key=lambda story: (story.published_at, story.pk), default=None)


class NumberingStory(NamedTuple):
    pk: int
    headline: str
    slug: str
    published_at: object
    source_ids: list  # its sources' articles, in their order


class Reads(NamedTuple):
    """What a batch of timeline pages needs beyond PAGE_READ, read once for all of them."""

    articles: dict  # the cited articles (with their outlets), by id
    numbering: dict  # timeline id: its NumberingStory


def read_for(timelines):
    """Reads for these timelines (PAGE_READ prefetched): three queries, whatever the batch."""
    cited = {
        pk for timeline in timelines for entry in timeline.page_entries for pk in cited_ids(entry)
    }
    articles = Article.objects.select_related("outlet").in_bulk(cited)
    shown_by = (
        Story.objects.published()
        .filter(timeline__in=[timeline.pk for timeline in timelines])
        .values_list("pk", "timeline_id", "headline", "slug", "published_at")
    )
    stories = defaultdict(list)
    for pk, timeline_id, headline, slug, published_at in shown_by:
        stories[timeline_id].append(NumberingStory(pk, headline, slug, published_at, []))
    first = {timeline_id: numbering_story(found) for timeline_id, found in stories.items()}
    by_pk = {story.pk: story for story in first.values()}
    sources = Source.objects.filter(story__in=list(by_pk)).order_by("story_id", "position")
    for story_id, article_id in sources.values_list("story_id", "article_id"):
        by_pk[story_id].source_ids.append(article_id)
    return Reads(articles, first)


class TimelinePage:
    """Everything on a timeline page but the stories showing it (they change with status)."""

    def __init__(self, timeline, reads=None):
        """`timeline` read with PAGE_READ prefetched; `reads`: read_for() of a batch holding
        it, when read already for many timelines at once."""
        self.timeline = timeline
        entries = timeline.page_entries
        reads = reads or read_for([timeline])
        cited = list(dict.fromkeys(pk for entry in entries for pk in cited_ids(entry)))
        self.story = reads.numbering.get(timeline.pk)
        sources = self.story.source_ids if self.story else []
        # As the story page numbers them: its sources, then the others as the entries meet them.
        numbers = {pk: n for n, pk in enumerate(dict.fromkeys(sources + cited), start=1)}
        self.citables = [
            Citable(numbers[pk], reads.articles[pk], pk in sources)
            for pk in sorted(cited, key=numbers.get)
        ]
        self.entries = cite(entries, self.citables)


def columns(timeline, reads=None):
    """The stored columns of a timeline's page."""
    page = TimelinePage(timeline, reads)
    return {
        "body_html": render_to_string("timelines/timeline_body.html", {"page": page}),
        "numbered_by": page.story.pk if page.story else None,
    }
