"""Publishing like a newsroom: buttons that say what they do, offered by role and enforced
on the server whatever is posted, a status panel at the top of the story, and the review
round trip (submit, send back with a comment the reporter sees, publish), each step in
History."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from stories.models import ReviewComment, Story
from tests.admin_helpers import error_text, form_data
from tests.factories import PublishedStoryFactory, StoryFactory

pytestmark = pytest.mark.django_db


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def buttons(response):
    return [value for value, _label in response.context["workflow_buttons"]]


def act(client, story, action, **fields):
    data = form_data(client.get(change_url(story)))
    data.update(fields, _workflow=action)
    return client.post(change_url(story), data)


def reload(story):
    return Story.objects.get(pk=story.pk)


def last_comment(story):
    return Version.objects.get_for_object(story).first().revision.comment


# --- What each role is offered --------------------------------------------------------------


def test_the_status_is_no_longer_a_dropdown(editor_client):
    story = StoryFactory()
    response = editor_client.get(change_url(story))

    assert 'type="hidden" name="status"' in response.text
    assert '<select name="status"' not in response.text


@pytest.mark.parametrize(
    ("state", "reporters", "editors"),
    [
        ("draft", ["draft", "review"], ["draft", "review", "publish", "schedule"]),
        ("review", ["review", "draft"], ["publish", "schedule", "send_back", "review"]),
        ("published", [], ["save", "update", "correction", "unpublish", "archive"]),
        ("scheduled", [], ["publish", "schedule", "unpublish"]),
        ("archived", [], ["draft", "publish"]),
    ],
)
def test_each_role_is_offered_the_buttons_of_its_job(
    editor_client, reporter_client, state, reporters, editors
):
    story = {
        "draft": lambda: StoryFactory(),
        "review": lambda: StoryFactory(status=Story.Status.IN_REVIEW),
        "published": lambda: PublishedStoryFactory(),
        "scheduled": lambda: PublishedStoryFactory(
            published_at=timezone.now() + datetime.timedelta(days=1)
        ),
        "archived": lambda: StoryFactory(status=Story.Status.ARCHIVED),
    }[state]()

    assert buttons(editor_client.get(change_url(story))) == editors
    offered = reporter_client.get(change_url(story))
    assert (buttons(offered) if offered.status_code == 200 else []) == reporters


def test_a_new_story_offers_save_draft_and_submit_for_review(reporter_client):
    response = reporter_client.get(reverse("admin:stories_story_add"))

    assert buttons(response) == ["draft", "review"]
    assert "Submit for review" in response.text and "Save draft" in response.text


# --- Enforced on the server, whatever is posted ----------------------------------------------


@pytest.mark.parametrize(
    "action", ["publish", "schedule", "send_back", "unpublish", "archive", "update"]
)
def test_a_reporter_posting_an_editors_button_is_refused(reporter_client, action):
    story = StoryFactory(headline="Untouched")

    response = act(
        reporter_client, story, action, headline="Changed", change_note="x", review_comment="x"
    )

    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert "Only an editor" in error_text(response)
    assert reload(story).headline == "Untouched"
    assert reload(story).status == Story.Status.DRAFT


def test_an_unknown_action_is_refused(editor_client):
    story = StoryFactory()

    response = act(editor_client, story, "make-it-go-viral")

    assert response.status_code == 200
    assert "is not something this screen does" in error_text(response)


# --- The review round trip -----------------------------------------------------------------


def test_submit_send_back_and_publish_each_in_history(reporter_client, editor_client, reporter):
    story = StoryFactory()

    assert act(reporter_client, story, "review").status_code == 302
    assert reload(story).status == Story.Status.IN_REVIEW
    assert last_comment(story).startswith("Submitted for review")

    response = act(editor_client, story, "send_back", review_comment="Source [2] is paywalled.")
    assert response.status_code == 302, error_text(response)
    assert reload(story).status == Story.Status.DRAFT
    assert last_comment(story).startswith("Sent back to the reporter: Source [2] is paywalled.")
    (comment,) = ReviewComment.objects.filter(story=story)
    assert comment.text == "Source [2] is paywalled."

    page = reporter_client.get(change_url(story)).text
    assert "Source [2] is paywalled." in page  # the reporter sees it, on the story

    assert act(reporter_client, story, "review").status_code == 302
    assert "Source [2] is paywalled." not in reporter_client.get(change_url(story)).text

    response = act(editor_client, story, "publish")
    assert response.status_code == 302, error_text(response)
    assert reload(story).is_public
    assert last_comment(story).startswith("Published")


def test_sending_back_needs_a_comment(editor_client):
    story = StoryFactory(status=Story.Status.IN_REVIEW)

    response = act(editor_client, story, "send_back", review_comment="  ")

    assert response.status_code == 200
    assert "Tell the reporter what to change" in error_text(response)
    assert reload(story).status == Story.Status.IN_REVIEW


# --- Publishing ------------------------------------------------------------------------------


def test_schedule_needs_a_time_to_come(editor_client):
    story = StoryFactory()

    refused = act(editor_client, story, "schedule")
    assert refused.status_code == 200
    assert "Give the time to publish at" in error_text(refused)

    later = timezone.localtime() + datetime.timedelta(days=1)
    response = act(
        editor_client,
        story,
        "schedule",
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1=later.strftime("%H:%M:%S"),
    )
    assert response.status_code == 302, error_text(response)
    story = reload(story)
    assert story.status_label == "Scheduled"


def test_publish_now_publishes_a_scheduled_story_at_once(editor_client):
    story = PublishedStoryFactory(published_at=timezone.now() + datetime.timedelta(days=1))

    response = act(editor_client, story, "publish")

    assert response.status_code == 302, error_text(response)
    assert reload(story).is_public


def test_unpublish_takes_a_story_off_the_site(editor_client, client):
    story = PublishedStoryFactory()

    assert act(editor_client, story, "unpublish").status_code == 302

    assert reload(story).status == Story.Status.DRAFT
    assert client.get(story.get_absolute_url()).status_code == 404


def test_publish_update_and_correction_tell_readers(editor_client):
    story = PublishedStoryFactory()
    before = story.updated_at

    response = act(editor_client, story, "update", change_note="Talks resumed at noon.")
    assert response.status_code == 302, error_text(response)
    assert reload(story).updated_at > before
    assert story.notes.get().kind == "update"

    refused = act(editor_client, story, "correction", change_note="")
    assert "Tell readers what changed" in error_text(refused)


# --- The status panel ----------------------------------------------------------------------


def test_the_status_panel_says_where_the_story_stands(editor_client, editor, settings):
    settings.TIME_ZONE = "America/Bogota"
    story = PublishedStoryFactory(published_at=timezone.now() + datetime.timedelta(days=1))
    act(editor_client, story, "save")

    response = editor_client.get(change_url(story))

    panel = response.context["status_panel"]
    assert panel["state"] == "Scheduled"
    assert panel["scheduled"] is not None
    assert panel["saved_by"] == editor.username
    assert "America/Bogota" in response.text
    assert "Scheduled" in response.text
