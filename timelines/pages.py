"""A timeline page's stored body: its entries with their numbered sources.

The derived-data seam (newsroom.derived) reads timelines with PAGE_READ and stores what
columns() returns whenever something the page shows changes.

A source has one number wherever it is shown with its story: the page numbers its citations
as the story page of its first published story does (its sources first, in their order,
then the articles only the timeline cites), and says whose numbers they are. That story
can change without a write (another story published earlier is unpublished, a scheduled one
comes out), so the view checks it on every read against the stories it reads anyway.
"""

from django.db.models import Prefetch
from django.template.loader import render_to_string

from newsroom.citations import Citable, cite, cited_ids
from stories.models import Article, Source, Story

from .models import TimelineEntry

# What a page lists, read for a whole batch of timelines at once: the entries, and the
# published stories showing it with their sources' articles in order (for the numbers).
PAGE_READ = [
    Prefetch("entries", TimelineEntry.objects.for_pages(), to_attr="page_entries"),
    Prefetch(
        "stories",
        Story.objects.published()
        .only("id", "timeline_id", "headline", "slug", "published_at")
        .prefetch_related(
            Prefetch(
                "sources",
                Source.objects.only("story_id", "article_id", "position").order_by("position"),
                to_attr="numbering_sources",
            )
        ),
        to_attr="published_stories",
    ),
]


def numbering_story(stories):
    """Of the published stories showing a timeline, the one whose numbers its page uses:
    the first published (the story it was made for, as a rule)."""
    return min(stories, key=lambda story: (story.published_at, story.pk), default=None)


class TimelinePage:
    """Everything on a timeline page but the stories showing it (they change with status)."""

    def __init__(self, timeline, articles=None):
        """`timeline` read with PAGE_READ prefetched; `articles`: the cited articles by id
        (read_articles()), when read already for many timelines at once."""
        self.timeline = timeline
        entries = timeline.page_entries
        cited = list(dict.fromkeys(pk for entry in entries for pk in cited_ids(entry)))
        if articles is None:
            articles = read_articles([timeline])
        self.story = numbering_story(timeline.published_stories)
        sources = [s.article_id for s in self.story.numbering_sources] if self.story else []
        # As the story page numbers them: its sources, then the others as the entries meet them.
        numbers = {pk: n for n, pk in enumerate(dict.fromkeys(sources + cited), start=1)}
        self.citables = [
            Citable(numbers[pk], articles[pk], pk in sources)
            for pk in sorted(cited, key=numbers.get)
        ]
        self.entries = cite(entries, self.citables)


def read_articles(timelines):
    """The articles these timelines' entries cite (with their outlets), by id: one query."""
    ids = {
        pk for timeline in timelines for entry in timeline.page_entries for pk in cited_ids(entry)
    }
    return Article.objects.select_related("outlet").in_bulk(ids)


def columns(timeline, articles=None):
    """The stored columns of a timeline's page."""
    page = TimelinePage(timeline, articles)
    return {
        "body_html": render_to_string("timelines/timeline_body.html", {"page": page}),
        "numbered_by": page.story.pk if page.story else None,
    }
