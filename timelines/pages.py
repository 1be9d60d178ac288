"""What a timeline page shows, in three queries: timeline (with its stories), entries, articles."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import JSONObject

from stories.expressions import JSONArrayAgg
from stories.models import Article, Story
from stories.pages import Citable, Cited, cited_ids, string_agg

from .models import TimelineEntry


def with_stories(timelines):
    """Annotate each timeline with the published stories that show it (headline and slug)."""
    stories = (
        Story.objects.published()
        .filter(timeline=OuterRef("pk"))
        .values("timeline")
        .annotate(items=JSONArrayAgg(JSONObject(headline="headline", slug="slug")))
        .values("items")
    )
    return timelines.annotate(stories_data=Subquery(stories))


class TimelinePage:
    def __init__(self, timeline):
        self.timeline = timeline
        entries = list(
            TimelineEntry.objects.filter(timeline=timeline)
            .annotate(cited_ids=string_agg("citation_links__article_id"))
            .order_by("date", "position")
        )
        order = list(dict.fromkeys(pk for entry in entries for pk in cited_ids(entry)))
        articles = Article.objects.select_related("outlet").in_bulk(order)
        self.citables = [Citable(n, articles[pk], False) for n, pk in enumerate(order, start=1)]
        by_article = {c.article.pk: c for c in self.citables}
        self.entries = [
            Cited(entry, [by_article[pk] for pk in cited_ids(entry)]) for entry in entries
        ]

    @property
    def stories(self):
        return sorted(self.timeline.stories_data or [], key=lambda story: story["headline"])
