"""The admin home page is the desk: how many stories are in each state, and the stories
waiting for an editor's review, oldest first, each a click from its screen."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from stories.models import Story
from tests.factories import PublishedStoryFactory, StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    now = timezone.now()
    StoryFactory(headline="A draft", status=Story.Status.DRAFT)
    waiting = [
        StoryFactory(headline=f"Waiting {n}", status=Story.Status.IN_REVIEW) for n in (1, 2)
    ]
    # The older one first: it has waited longer.
    Story.objects.filter(pk=waiting[1].pk).update(modified_at=now - datetime.timedelta(hours=3))
    PublishedStoryFactory(headline="Out now")
    PublishedStoryFactory(headline="Later", published_at=now + datetime.timedelta(days=1))
    StoryFactory(headline="Old news", status=Story.Status.ARCHIVED)
    return waiting


def test_the_desk_counts_stories_by_state(editor_client, desk):
    assert Story.objects.desk_counts() == {
        "Draft": 1,
        "In review": 2,
        "Scheduled": 1,
        "Published": 1,
        "Archived": 1,
    }


def test_the_admin_home_lists_the_stories_waiting_for_review(editor_client, desk):
    response = editor_client.get(reverse("admin:index"))

    assert response.status_code == 200
    page = response.text
    assert "Waiting for review (2)" in page
    older, newer = desk[1], desk[0]
    assert page.index(older.headline) < page.index(newer.headline)
    for story in desk:
        assert reverse("admin:stories_story_change", args=[story.pk]) in page
    assert "A draft" not in page  # counted, not listed
    changelist = reverse("admin:stories_story_changelist")
    assert f'href="{changelist}?state=review"' in page
    assert "Scheduled</a>" in page or "Scheduled" in page


def test_reporters_see_the_desk_too(reporter_client, desk):
    response = reporter_client.get(reverse("admin:index"))

    assert "Waiting for review (2)" in response.text


def test_the_desk_costs_the_same_queries_whatever_the_queue(
    editor_client, desk, django_assert_max_num_queries
):
    editor_client.get(reverse("admin:index"))
    with django_assert_max_num_queries(8) as few:
        editor_client.get(reverse("admin:index"))
    for n in range(10):
        StoryFactory(headline=f"More {n}", status=Story.Status.IN_REVIEW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        editor_client.get(reverse("admin:index"))


def test_the_queue_says_who_sent_each_story_and_when(editor_client, reporter, desk):
    import reversion

    story = desk[0]
    with reversion.create_revision():
        reversion.set_user(reporter)
        story.save()

    response = editor_client.get(reverse("admin:index"))

    (listed,) = [s for s in response.context["waiting"] if s.pk == story.pk]
    assert listed.last_saved_by == reporter.username
    assert f"by {reporter.username}" in response.text
    # Saved just now: it has waited the least, so it comes last.
    assert [s.pk for s in response.context["waiting"]][-1] == story.pk


@pytest.mark.parametrize(
    ("state", "listed"),
    [
        ("Draft", ["A draft"]),
        ("In review", ["Waiting 1", "Waiting 2"]),
        ("Scheduled", ["Later"]),
        ("Published", ["Out now"]),
        ("Archived", ["Old news"]),
    ],
)
def test_each_count_on_the_desk_opens_the_list_of_those_stories(
    editor_client, desk, state, listed
):
    desk_page = editor_client.get(reverse("admin:index")).text
    (link,) = re.findall(rf'<th scope="row"><a href="([^"]+)">{state}</a>', desk_page)

    response = editor_client.get(html.unescape(link))

    assert response.status_code == 200
    assert sorted(story.headline for story in response.context["cl"].result_list) == listed
