"""PreparedQuery: a feed's first page and a reader's story page, from SQL compiled once,
are what the ORM answers."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stories.models import PAGE_FIELDS, Story
from stories.pagination import ORDER, PAGE_SIZE
from stories.prepared import PreparedQuery, instance
from tests.factories import FeedFactory, PublishedStoryFactory, seed_shaped_story

pytestmark = pytest.mark.django_db


def orm_cards(feed=None):
    stories = Story.objects.published().for_cards()
    if feed is not None:
        stories = stories.filter(feeds=feed)
    return [tuple(row) for row in stories.order_by(*ORDER)[:PAGE_SIZE]]


def prepared_cards(feed=None):
    return [tuple(card) for card in Story.objects.feed_page(feed and feed.pk).stories]


def test_first_page_of_a_feed_is_what_the_orm_returns():
    feed, other = FeedFactory(), FeedFactory()
    now = timezone.now()
    for i in range(PAGE_SIZE + 5):
        PublishedStoryFactory(
            feeds=[feed] if i % 3 else [other], updated_at=now - dt.timedelta(minutes=i)
        )

    assert prepared_cards(feed) == orm_cards(feed)
    assert prepared_cards(other) == orm_cards(other)
    assert prepared_cards() == orm_cards()
    assert len(prepared_cards()) == PAGE_SIZE
    updated = [card[1] for card in prepared_cards()]
    assert all(isinstance(when, dt.datetime) and when.tzinfo for when in updated)


def test_first_page_is_read_at_the_time_of_each_request():
    feed = FeedFactory()
    scheduled = PublishedStoryFactory(
        feeds=[feed], published_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert prepared_cards(feed) == []

    Story.objects.filter(pk=scheduled.pk).update(
        published_at=timezone.now() - dt.timedelta(seconds=1)
    )

    assert [card[0] for card in prepared_cards(feed)] == [scheduled.pk]


def test_a_sample_that_is_not_distinctive_is_refused():
    # "published" is also the status published() filters on: its place would be a guess.
    query = PreparedQuery(
        lambda status: Story.objects.published().filter(status=status).values_list("pk"),
        status="published",
    )

    with pytest.raises(ImproperlyConfigured, match="appears 2 times"):
        query(status="draft")


def page_as_read(story):
    """What a story page reads of a story and its image."""
    image = getattr(story, "hero_image", None)
    return (
        [getattr(story, name) for name in PAGE_FIELDS],
        image and (image.src, image.alt_text),
    )


@pytest.mark.parametrize("with_image", [True, False], ids=["hero image", "no hero image"])
def test_readers_story_page_reads_what_the_orm_reads(editor, with_image):
    story = seed_shaped_story()
    if not with_image:
        story.hero_image.delete()

    for_reader = Story.objects.page_for(AnonymousUser(), story.slug)
    for_editor = Story.objects.page_for(editor, story.slug)

    assert page_as_read(for_reader) == page_as_read(for_editor)
    assert (page_as_read(for_reader)[1] is not None) == with_image


def test_readers_story_page_costs_the_content_state_and_one_query(client):
    story = seed_shaped_story()
    client.get(story.get_absolute_url())  # templates, the prepared SQL
    caches[settings.PAGE_CACHE_ALIAS].clear()  # rendered, not served from the page cache

    with CaptureQueriesContext(connection) as queries:
        response = client.get(story.get_absolute_url())

    assert response.status_code == 200
    assert story.headline in response.text
    assert len(queries) == 2


def test_readers_do_not_see_a_scheduled_story_editors_preview():
    story = seed_shaped_story(published_at=timezone.now() + dt.timedelta(hours=1))

    assert Story.objects.page_for(AnonymousUser(), story.slug) is None


def test_instance_takes_columns_in_any_order():
    story = seed_shaped_story()
    names = ["slug", "body_html", "id", "headline"]
    values = Story.objects.filter(pk=story.pk).values_list(*names).get()

    built = instance(Story, names, values)

    assert (built.pk, built.headline, built.slug, built.body_html) == (
        story.pk,
        story.headline,
        story.slug,
        Story.objects.get(pk=story.pk).body_html,
    )
