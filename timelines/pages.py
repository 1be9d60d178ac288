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

    def __init__(self, timeline):
        """`timeline` read with PAGE_READ prefetched."""
        self.timeline = timeline
        entries = timeline.page_entries
        order = list(dict.fromkeys(pk for entry in entries for pk in cited_ids(entry)))
        articles = Article.objects.select_related("outlet").in_bulk(order)
        self.citables = [Citable(n, articles[pk], False) for n, pk in enumerate(order, start=1)]
        self.entries = cite(entries, self.citables)


def columns(timeline):
    """The stored columns of a timeline's page."""
    page = TimelinePage(timeline)
    return {"body_html": render_to_string("timelines/timeline_body.html", {"page": page})}
