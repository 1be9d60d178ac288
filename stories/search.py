"""Reader search over headlines, summaries, key points and timeline entries.

PostgreSQL: ranked full-text search on Story.search_text (GIN-indexed, see migrations).
SQLite: every word must appear; headline matches first, then the most recently updated.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from .models import Story

RESULTS = 50
CONFIG = "english"


def search_stories(query, limit=RESULTS):
    stories = Story.objects.published().for_cards()
    if connection.vendor == "postgresql":
        return list(_full_text(stories, query)[:limit])
    return list(_contains_every_word(stories, query)[:limit])


def _full_text(stories, query):
    search_query = SearchQuery(query, search_type="websearch", config=CONFIG)
    # Matching uses the indexed column; ranking weighs the headline and summary above the rest.
    indexed = SearchVector("search_text", config=CONFIG)
    weighted = (
        SearchVector("headline", weight="A", config=CONFIG)
        + SearchVector("summary", weight="B", config=CONFIG)
        + SearchVector("search_text", weight="C", config=CONFIG)
    )
    return (
        stories.annotate(match=indexed)
        .filter(match=search_query)
        .annotate(rank=SearchRank(weighted, search_query))
        .order_by("-rank", "-updated_at", "-pk")
    )


def _contains_every_word(stories, query):
    words = query.split()[:10]
    for word in words:
        stories = stories.filter(search_text__icontains=word)
    in_headline = Q()
    for word in words:
        in_headline &= Q(headline__icontains=word)
    return stories.annotate(
        rank=Case(When(in_headline, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-rank", "-updated_at", "-pk")
