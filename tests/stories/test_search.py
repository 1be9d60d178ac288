"""Reader search over headlines, summaries, key points and timeline entries.

Story.search_text is denormalized: newsroom.derived rebuilds it whenever the story, a key
point or a timeline entry is written, so the stories here are
built through the factories' save() and never told to update it.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    KeyPointFactory,
    PublishedStoryFactory,
    TimelineEntryFactory,
    TimelineFactory,
)

pytestmark = pytest.mark.django_db


def search(client, query):
    return client.get(reverse("stories:search"), {"q": query})


def found(parse_html, response):
    """Headlines of the stories a search page lists, in its order."""
    assert response.status_code == 200
    page = parse_html(response)
    return [card.find("h2").text for card in page.find_all("article", class_="story-card")]


@pytest.fixture
def other_story(db):
    """A published story that no query below should find: results must be specific."""
    return PublishedStoryFactory(headline="Harvest festival opens in Cali")


def test_search_finds_a_story_by_a_headline_word(client, parse_html, other_story):
    story = PublishedStoryFactory(headline="Glimmerwick talks resume")

    assert found(parse_html, search(client, "Glimmerwick")) == [story.headline]


def test_search_finds_a_story_by_a_summary_word(client, parse_html, other_story):
    story = PublishedStoryFactory(summary="Negotiators met in Quorvath overnight.")

    assert found(parse_html, search(client, "Quorvath")) == [story.headline]


def test_search_finds_a_story_by_a_key_point_body_word(client, parse_html, other_story):
    story = PublishedStoryFactory()
    KeyPointFactory(story=story, body="The *Brindlemoor* accord was signed at dawn.")

    assert found(parse_html, search(client, "Brindlemoor")) == [story.headline]


def test_search_finds_a_story_by_a_timeline_entry_word(client, parse_html, other_story):
    timeline = TimelineFactory()
    TimelineEntryFactory(timeline=timeline, text="Envoys first met in Zentarrow.")
    story = PublishedStoryFactory(timeline=timeline)

    assert found(parse_html, search(client, "Zentarrow")) == [story.headline]


def test_search_finds_a_story_by_a_word_of_an_entry_added_later(client, parse_html):
    story = PublishedStoryFactory(timeline=TimelineFactory())
    TimelineEntryFactory(timeline=story.timeline, text="Talks moved to Velmarsk.")

    assert found(parse_html, search(client, "Velmarsk")) == [story.headline]


def test_search_finds_an_edited_key_point_by_its_new_word(client, parse_html):
    story = PublishedStoryFactory()
    key_point = KeyPointFactory(story=story, body="Talks resumed.")
    key_point.body = "Talks resumed in Orrindale."
    key_point.save()

    assert found(parse_html, search(client, "Orrindale")) == [story.headline]


def test_search_no_longer_finds_a_story_by_a_word_edited_away(client, parse_html):
    story = PublishedStoryFactory(headline="Glimmerwick talks resume")
    story.headline = "Talks resume"
    story.save()

    assert found(parse_html, search(client, "Glimmerwick")) == []


def test_search_ignores_letter_case(client, parse_html):
    story = PublishedStoryFactory(headline="Glimmerwick talks resume")

    assert found(parse_html, search(client, "GLIMMERWICK")) == [story.headline]


def test_search_needs_every_word_to_match(client, parse_html):
    PublishedStoryFactory(headline="Glimmerwick talks resume")

    assert found(parse_html, search(client, "Glimmerwick Quorvath")) == []


def test_search_ranks_headline_matches_first(client, parse_html):
    in_headline = PublishedStoryFactory(
        headline="Glimmerwick accord signed",
        updated_at=timezone.now() - datetime.timedelta(days=2),
    )
    in_key_point = PublishedStoryFactory(headline="Talks end early")
    KeyPointFactory(story=in_key_point, body="Delegates left Glimmerwick at noon.")

    assert found(parse_html, search(client, "Glimmerwick")) == [
        in_headline.headline,
        in_key_point.headline,
    ]


def test_search_says_how_many_stories_it_found(client, parse_html):
    PublishedStoryFactory(headline="Glimmerwick talks resume")

    page = parse_html(search(client, "Glimmerwick"))

    assert page.find("p", role="status").text == "1 result for “Glimmerwick”"


def test_search_without_a_query_shows_no_results(client, parse_html, other_story):
    response = client.get(reverse("stories:search"))

    assert found(parse_html, response) == []
    assert not parse_html(response).find_all("p", role="status")


def test_search_with_only_white_space_shows_no_results(client, parse_html, other_story):
    response = search(client, "   ")

    assert found(parse_html, response) == []
    assert not parse_html(response).find_all("p", role="status")


def test_search_for_an_unknown_word_finds_nothing(client, parse_html, other_story):
    response = search(client, "Xylophrantic")

    assert found(parse_html, response) == []
    assert parse_html(response).find("p", role="status").text.startswith("0 results")


def test_search_never_finds_an_unpublished_story(
    client, parse_html, published_story, unpublished_story
):
    # Both headlines share the word; only the published story may be found.
    assert found(parse_html, search(client, "Vorpaline")) == [published_story.headline]


def test_search_never_finds_an_unpublished_story_by_its_own_words(
    client, parse_html, unpublished_story
):
    assert found(parse_html, search(client, "ceasefire collapses")) == []


@pytest.mark.parametrize("query", ["the", "'", '"unclosed', "a & b | !c", "100%", "_", "-"])
def test_search_with_odd_punctuation_or_stop_words_does_not_fail(client, other_story, query):
    response = search(client, query)

    assert response.status_code == 200


def test_search_page_is_kept_out_of_search_engines(client, parse_html):
    page = parse_html(search(client, "Glimmerwick"))

    assert page.find("meta", name="robots").attrs["content"] == "noindex"


def test_search_query_is_shown_escaped(client, parse_html):
    query = "<script>alert(1)</script>"

    response = search(client, query)

    assert b"<script>alert" not in response.content
    assert parse_html(response).find("input", id="search-page-q").attrs["value"] == query


def test_search_result_links_to_the_story(client, parse_html):
    story = PublishedStoryFactory(headline="Glimmerwick talks resume")

    page = parse_html(search(client, "Glimmerwick"))

    assert page.find("h2", class_="story-card__headline").find("a").attrs["href"] == (
        story.get_absolute_url()
    )
