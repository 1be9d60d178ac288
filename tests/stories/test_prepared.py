"""PreparedQuery: a feed's first page, from SQL compiled once, is the ORM's answer."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from stories.models import Story
from stories.pagination import ORDER, PAGE_SIZE
from stories.prepared import PreparedQuery
from tests.factories import FeedFactory, PublishedStoryFactory

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
