"""An old database upgrades: migrated from 0005 (before pages were stored), with stories in
it, to the latest migration. No data migration renders a page any more (they would run
today's code against yesterday's columns): the rows are left to the render fingerprint, and
the first read, or `rebuild_pages`, builds them.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from newsroom import derived
from stories.models import Story

OLD = [("stories", "0005_stored_pages"), ("timelines", "0002_stored_pages")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_database_from_0005_with_stories_upgrades_and_serves_them(client):
    old = migrate(OLD)
    Timeline = old.get_model("timelines", "Timeline")
    timeline = Timeline.objects.create(title="Old timeline", slug="old-timeline")
    old.get_model("timelines", "TimelineEntry").objects.create(
        # As the app's save() of the day wrote it, with its HTML.
        timeline=timeline,
        date=dt.date(2016, 1, 1),
        precision="year",
        text="An old entry.",
        text_html="<p>An old entry.</p>",
    )
    old.get_model("timelines", "TimelineEntry").objects.create(
        timeline=timeline,
        date=dt.date(2026, 2, 3),
        precision="future",  # timelines 0005 turns it into a flag, at the day's precision
        text="A future entry.",
        position=2,
    )
    OldStory = old.get_model("stories", "Story")
    published = dt.datetime(2025, 1, 2, 12, tzinfo=dt.UTC)
    OldStory.objects.create(
        headline="A story from before stored pages",
        slug="old-story",
        status="published",
        published_at=published,
        updated_at=published,
        timeline=timeline,
    )
    old.get_model("stories", "KeyPoint").objects.create(
        story=OldStory.objects.get(),
        position=1,
        heading="An old key point",
        body="Its body.",
        body_html="<p>Its body.</p>",
    )

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(latest)

    story = Story.objects.get(slug="old-story")
    assert story.render_fingerprint == ""  # left to the fingerprint, not built by 0006/0009
    page = client.get("/stories/old-story/")
    assert page.status_code == 200
    assert "An old key point" in page.content.decode()
    timeline_page = client.get("/timelines/old-timeline/").content.decode()
    assert "An old entry." in timeline_page
    assert 'datetime="2026-02-03">Future (post-Feb 3, 2026)</time>' in timeline_page

    call_command("rebuild_pages", verbosity=0)
    assert derived.stale(Story).count() == 0
