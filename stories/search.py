"""Reader search over headlines, summaries, key points and timeline entries.

PostgreSQL: ranked full-text search on a stored, weighted vector (migration 0010).
SQLite: every word must appear; headline matches first, then the most recently updated.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL

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
    # The weighted vector (headline A, summary B, the rest C) the database keeps for each
    # story (migration 0010): GIN-indexed for matching, read as it is for ranking.
    vector = RawSQL(f'"{Story._meta.db_table}"."search_vector"', [], SearchVectorField())
    return (
        stories.annotate(match=vector)
        .filter(match=search_query)
        .annotate(rank=SearchRank(vector, search_query))
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
