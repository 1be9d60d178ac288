"""Search in seven languages: one table of queries and the stories each finds, run on
whichever database the suite runs on (CI runs it on both: the same table, the same answers).
"""

import pytest

from stories.search import search_stories
from tests.factories import PublishedStoryFactory

pytestmark = pytest.mark.django_db

STORIES = {
    "en": ("Talks resume in Washington", "Leaders discuss sanctions and elections."),
    "es": ("Petro llega a Bogotá para la reunión", "El presidente habló de la economía."),
    "pt": ("Eleições no Brasil: São Paulo vota", "A votação começou cedo."),
    "fr": ("Élection présidentielle : la campagne s'achève", "Les électeurs se préparent."),
    "de": ("Bundestag berät über Zölle", "Die Abgeordneten aus München und Köln."),
    "ar": ("محادثات السلام في القاهرة", "الرئيس يلتقي الوزراء"),
    "ja": ("東京で首脳会談", "首相は経済について語った。"),
}

QUERIES = [
    # Case and accents fold, in the text and in the query.
    ("bogota", {"es"}),
    ("BOGOTÁ", {"es"}),
    ("reunion", {"es"}),
    ("sao paulo", {"pt"}),
    ("ELEIÇÕES", {"pt"}),
    ("eleicoes", {"pt"}),
    ("zolle", {"de"}),
    ("MÜNCHEN köln", {"de"}),
    ("electeurs", {"fr"}),
    # A word finds the words it begins, in any language: "election" is in two stories.
    ("election", {"en", "fr"}),
    ("présid", {"es", "fr"}),
    # Every word is needed.
    ("talks washington", {"en"}),
    ("talks bogota", set()),
    # Arabic, word by word.
    ("القاهرة", {"ar"}),
    ("محادثات السلام", {"ar"}),
    ("الوزراء", {"ar"}),
    # Japanese is written without spaces: a query finds the start of a run of text, not a
    # word inside it (neither engine splits Japanese into words).
    ("東京で首脳会談", {"ja"}),
    ("東京", {"ja"}),
    ("首脳会談", set()),
    # Quotes, operators and punctuation are separators, never syntax ("OR" is a word).
    ('"bogota" -petro*', {"es"}),
    ("talks: ( ) * ^ -", {"en"}),
    ("bogota OR", set()),
]


@pytest.fixture
def stories():
    return {
        PublishedStoryFactory(headline=headline, summary=summary, slug=f"story-{lang}").pk: lang
        for lang, (headline, summary) in STORIES.items()
    }


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_search_finds_the_same_stories_on_either_database(stories, query, expected):
    assert {stories[card.pk] for card in search_stories(query)} == expected


def test_a_headline_match_ranks_before_a_summary_match():
    summary_only = PublishedStoryFactory(headline="Other news", summary="Bogotá talks")
    headline = PublishedStoryFactory(headline="Bogotá talks", summary="Other news")

    assert [card.pk for card in search_stories("bogota")] == [headline.pk, summary_only.pk]


def test_results_do_not_carry_the_stored_search_index(stories):
    """Matching and ranking read the index in the database; its text is not sent back
    with each result (on PostgreSQL the vector is larger than the card itself)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        (found,) = search_stories("bogota")

    assert STORIES["es"][0] in found.card_html
    select_list = queries[-1]["sql"].partition(" FROM ")[0]
    assert 'search_vector") AS' not in select_list, select_list
    assert not hasattr(found, "match")
