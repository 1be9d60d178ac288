"""Feed listings: each story's feed memberships, with its status and times copied, so that a
feed page reads its newest stories straight off one index.

Every test ends the same way: the listings are exactly the memberships joined to their
stories, whatever changed them (a save, a queryset update, either side of the relation, the
loader, the admin, a delete). A feed page is then checked where it shows the difference.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stories.models import Listing, Story, cards_of
from tests.admin_helpers import error_text, form_data
from tests.factories import FeedFactory, PublishedStoryFactory, StoryFactory

pytestmark = pytest.mark.django_db

FIELDS = ("feed_id", "story_id", "status", "published_at", "updated_at")


def memberships_joined_to_stories():
    rows = Story.feeds.through.objects.values_list(
        "feed_id", "story_id", "story__status", "story__published_at", "story__updated_at"
    )
    return sorted(rows)


def listings():
    return sorted(Listing.objects.values_list(*FIELDS))


def assert_listings_exact():
    assert listings() == memberships_joined_to_stories()


def feed_page(client, feed):
    return client.get(reverse("stories:feed", kwargs={"slug": feed.slug}))


def listed_slugs(feed):
    return list(
        Story.objects.filter(pk__in=[card.pk for card in Story.objects.feed_page(feed.pk)])
        .order_by("-updated_at", "-pk")
        .values_list("slug", flat=True)
    )


# --- Memberships, from either side ------------------------------------------------------------


def test_a_story_added_to_feeds_is_listed_in_each_with_its_status_and_times():
    feeds = FeedFactory.create_batch(2)
    story = PublishedStoryFactory(feeds=feeds)

    assert len(listings()) == 2
    assert_listings_exact()
    assert listed_slugs(feeds[0]) == [story.slug]


def test_stories_added_to_a_feed_from_the_feeds_side_are_listed():
    feed = FeedFactory()
    stories = PublishedStoryFactory.create_batch(3)

    feed.stories.add(*stories[:2])

    assert_listings_exact()
    assert set(listed_slugs(feed)) == {stories[0].slug, stories[1].slug}


@pytest.mark.parametrize(
    "remove",
    [
        lambda story, feed: story.feeds.remove(feed),
        lambda story, feed: feed.stories.remove(story),
        lambda story, feed: story.feeds.clear(),
        lambda story, feed: feed.stories.clear(),
        lambda story, feed: story.feeds.set([]),
    ],
    ids=["story.remove", "feed.remove", "story.clear", "feed.clear", "story.set"],
)
def test_a_story_taken_out_of_a_feed_is_no_longer_listed_there(remove):
    feed, other = FeedFactory.create_batch(2)
    story = PublishedStoryFactory(feeds=[feed, other])
    PublishedStoryFactory(feeds=[feed])

    remove(story, feed)

    assert_listings_exact()
    assert story.slug not in listed_slugs(feed)


def test_deleting_a_feed_or_a_story_deletes_its_listings():
    feed, other = FeedFactory.create_batch(2)
    story, kept = PublishedStoryFactory(feeds=[feed, other]), PublishedStoryFactory(feeds=[other])

    feed.delete()
    assert_listings_exact()
    story.delete()

    assert listings() == [(other.pk, kept.pk, "published", kept.published_at, kept.updated_at)]


# --- The story's own fields -------------------------------------------------------------------


def test_saving_a_story_copies_its_status_and_times_into_its_listings():
    feed = FeedFactory()
    story = PublishedStoryFactory(feeds=[feed])

    story.status = Story.Status.ARCHIVED
    story.save()

    assert_listings_exact()
    assert listed_slugs(feed) == []


def test_a_save_of_other_fields_only_does_not_touch_the_listings():
    story = PublishedStoryFactory(feeds=[FeedFactory()])
    story.headline = "A new headline"

    with CaptureQueriesContext(connection) as queries:
        story.save(update_fields=["headline"])

    assert not [query for query in queries if "stories_listing" in query["sql"]]
    assert_listings_exact()


@pytest.mark.parametrize("field", ["status", "published_at", "updated_at"])
def test_a_queryset_update_of_a_listed_field_reaches_the_listings(field):
    feed = FeedFactory()
    story = PublishedStoryFactory(feeds=[feed])
    value = {
        "status": Story.Status.DRAFT,
        "published_at": timezone.now() + dt.timedelta(hours=1),
        "updated_at": timezone.now() - dt.timedelta(days=3),
    }[field]

    # Filtered on the field being changed: the update must not lose track of its rows.
    Story.objects.filter(**{field: getattr(story, field)}).update(**{field: value})

    assert_listings_exact()


def test_bulk_update_reaches_the_listings():
    feed = FeedFactory()
    stories = PublishedStoryFactory.create_batch(3, feeds=[feed])
    for story in stories:
        story.status = Story.Status.ARCHIVED

    Story.objects.bulk_update(stories, ["status"])

    assert_listings_exact()
    assert listed_slugs(feed) == []


def test_a_failed_update_leaves_the_listings_as_they_were():
    feed = FeedFactory()
    story = PublishedStoryFactory(feeds=[feed])
    before = listings()

    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(published_at=None)

    assert listings() == before


# --- What a feed page shows -------------------------------------------------------------------


def test_a_feed_page_lists_only_published_stories_of_that_feed_newest_first(client, parse_html):
    feed, other = FeedFactory.create_batch(2)
    now = timezone.now()
    older = PublishedStoryFactory(feeds=[feed], updated_at=now - dt.timedelta(hours=2))
    newer = PublishedStoryFactory(feeds=[feed], updated_at=now - dt.timedelta(hours=1))
    PublishedStoryFactory(feeds=[other])
    StoryFactory(feeds=[feed])  # a draft
    PublishedStoryFactory(feeds=[feed], published_at=now + dt.timedelta(hours=1))  # scheduled

    page = parse_html(feed_page(client, feed))

    headlines = page.find_all("h2", class_="story-card__headline")
    assert [headline.text.strip() for headline in headlines] == [newer.headline, older.headline]


def test_a_story_updated_again_moves_to_the_top_of_its_feed():
    feed = FeedFactory()
    now = timezone.now()
    first = PublishedStoryFactory(feeds=[feed], updated_at=now - dt.timedelta(hours=2))
    second = PublishedStoryFactory(feeds=[feed], updated_at=now - dt.timedelta(hours=1))
    assert listed_slugs(feed) == [second.slug, first.slug]

    first.updated_at = now
    first.save()

    assert [card.pk for card in Story.objects.feed_page(feed.pk)] == [first.pk, second.pk]


# --- The loader and the admin -----------------------------------------------------------------


def test_loading_and_reloading_a_story_keeps_its_listings_exact(tmp_path):
    from tests.stories.test_loader import SEED, seed_document, write

    call_command("load_stories", str(SEED), verbosity=0)
    assert len(listings()) == 3
    assert_listings_exact()

    document = seed_document()
    document["feeds"] = document["feeds"][:1]
    document["status"] = "archived"
    call_command("load_stories", str(write(tmp_path, document)), verbosity=0)

    assert len(listings()) == 1
    assert_listings_exact()


def test_feeds_chosen_in_the_admin_are_listed(editor_client):
    from tests.stories.test_admin import change_url

    kept, dropped, added = FeedFactory.create_batch(3)
    story = PublishedStoryFactory(feeds=[kept, dropped])
    data = form_data(editor_client.get(change_url(story)))
    data["feeds"] = [str(kept.pk), str(added.pk)]

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, error_text(response)
    assert_listings_exact()
    assert sorted(Listing.objects.values_list("feed_id", flat=True)) == [kept.pk, added.pk]


def test_bulk_actions_in_the_admin_keep_listings_exact(editor_client):
    from tests.stories.test_admin import action

    feed = FeedFactory()
    stories = StoryFactory.create_batch(2, status=Story.Status.IN_REVIEW)

    action(editor_client, f"add_to_feed_{feed.pk}", *stories)
    assert_listings_exact()
    assert listed_slugs(feed) == []  # in review: listed, but not to readers

    action(editor_client, "publish_selected", *stories)

    assert_listings_exact()
    assert set(listed_slugs(feed)) == {story.slug for story in stories}


# --- The migration and the query plan ---------------------------------------------------------


def test_the_migration_lists_every_existing_membership():
    feeds = FeedFactory.create_batch(2)
    PublishedStoryFactory(feeds=feeds)
    StoryFactory(feeds=feeds[:1])
    Listing.objects.all().delete()
    migration = __import__(
        "stories.migrations.0012_feed_listings", fromlist=["list_every_membership"]
    )

    # It reads only the connection from the schema editor.
    migration.list_every_membership(apps, SimpleNamespace(connection=connection))

    assert len(listings()) == 3
    assert_listings_exact()


def explain(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Rule out the plans a tiny test table would get: what is left is whether the
            # index alone can give the page its order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_a_feed_page_is_read_in_order_off_the_listing_index():
    feed = FeedFactory()
    PublishedStoryFactory.create_batch(3, feeds=[feed])

    plan = explain(cards_of(feed.pk, timezone.now())[:21])

    assert "listing_feed_page_idx" in plan
    assert "Sort" not in plan  # PostgreSQL
    assert "TEMP B-TREE" not in plan  # SQLite
