"""A timeline page's stored body: its entries with their numbered sources.

The derived-data seam (newsroom.derived) reads timelines with PAGE_READ and stores what
columns() returns whenever something the page shows changes.
"""

from django.db.models import Prefetch
from django.template.loader import render_to_string

from newsroom.citations import Citable, cite, cited_ids
from stories.models import Article

from .models import TimelineEntry

# What a page lists, read for a whole batch of timelines at once.
PAGE_READ = [Prefetch("entries", TimelineEntry.objects.for_pages(), to_attr="page_entries")]


class TimelinePage:
    """Everything on a timeline page but the stories showing it (they change with status)."""

    def __init__(self, timeline, articles=None):
        """`timeline` read with PAGE_READ prefetched; `articles`: the cited articles by id
        (read_articles()), when read already for many timelines at once."""
        self.timeline = timeline
        entries = timeline.page_entries
        order = list(dict.fromkeys(pk for entry in entries for pk in cited_ids(entry)))
        if articles is None:
            articles = read_articles([timeline])
        self.citables = [Citable(n, articles[pk], False) for n, pk in enumerate(order, start=1)]
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
    return {"body_html": render_to_string("timelines/timeline_body.html", {"page": page})}
