"""Reader search over headlines, summaries, key points and timeline entries, in any
language and alike on both databases (migration 0018).

A query is split into words (letters and digits, in any script); a story matches when each
word begins a word of its text, whatever the case and accents: "bogota" finds "Bogotá",
"elect" finds "elections". Headline matches rank first, then summary, then the rest.

- PostgreSQL: the stored, weighted vector (simple parser, unaccent), GIN-indexed, ranked by
  ts_rank.
- SQLite: the FTS5 index story_search (unicode61 tokenizer, diacritics removed), ranked by
  bm25 with the same weights' order.

Neither splits text written without spaces (Japanese, Chinese) into words: a query matches
the start of such a run ("東京" finds "東京で会談"), not a word inside it ("会談" does not).
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import FloatField
from django.db.models.expressions import RawSQL

from .models import Story

RESULTS = 50
MAX_WORDS = 10
CONFIG = "newsroom_search"
# bm25 weights of story_search's columns: headline, summary, the rest.
FTS_WEIGHTS = (10.0, 5.0, 1.0)


def words_of(query):
    """The words of a query, as both engines' tokenizers see words: runs of letters and
    digits in any script (punctuation and operators are nothing but separators)."""
    return re.findall(r"[^\W_]+", query)[:MAX_WORDS]


def search_stories(query, limit=RESULTS):
    words = words_of(query)
    if not words:
        return []
    stories = Story.objects.published().for_cards()
    if connection.vendor == "postgresql":
        return list(_full_text(stories, words)[:limit])
    return list(_fts5(stories, words)[:limit])


def _full_text(stories, words):
    # Each word a prefix ('bogota':*), all of them required; the configuration folds case
    # and accents in the query as in the text.
    search_query = SearchQuery(
        " & ".join(f"'{word}':*" for word in words), search_type="raw", config=CONFIG
    )
    vector = RawSQL(f'"{Story._meta.db_table}"."search_vector"', [], SearchVectorField())
    return (
        stories.alias(match=vector)
        .filter(match=search_query)
        .annotate(rank=SearchRank(vector, search_query))
        .order_by("-rank", "-updated_at", "-pk")
    )


def _fts5(stories, words):
    # Each word a quoted prefix ("bogota"*), all of them required (FTS5's implicit AND).
    match = " ".join(f'"{word}"*' for word in words)
    table = Story._meta.db_table
    weights = ", ".join(map(str, FTS_WEIGHTS))
    rank = RawSQL(
        "SELECT bm25(story_search, " + weights + ") FROM story_search "
        f'WHERE story_search MATCH %s AND story_search.rowid = "{table}"."id"',
        [match],
        output_field=FloatField(),
    )
    found = RawSQL("SELECT rowid FROM story_search WHERE story_search MATCH %s", [match])
    # bm25: the lower, the better.
    return stories.filter(pk__in=found).annotate(rank=rank).order_by("rank", "-updated_at", "-pk")
