"""The live preview's address: another logged-in editor opens what the form shows now.

Each preview of an editor's story form (the live preview beside it, or the Preview button)
is kept at one address per editor and story, given in the X-Newsroom-Preview-Address header;
the next preview replaces what it shows. Nothing of the story is saved, and only staff who
may see the story open it.
"""

import pytest
from django.test import Client
from django.urls import reverse

from stories.models import SharedPreview, Story
from tests.admin_helpers import form_data
from tests.factories import PublishedStoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(db):
    return PublishedStoryFactory(headline="Ceasefire holds", slug="ceasefire-holds")


@pytest.fixture
def colleague(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="cora-colleague", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    return client


def preview(client, url, **fields):
    data = form_data(client.get(url))
    data.update(fields, _preview="Preview")
    return client.post(url, data)


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def test_a_preview_gives_an_address_a_colleague_opens(editor_client, colleague, story):
    response = preview(editor_client, change_url(story), headline="Talks collapse")

    address = response["X-Newsroom-Preview-Address"]
    shared = colleague.get(address)

    assert shared.status_code == 200
    assert "Talks collapse" in shared.text
    assert "Preview — unsaved changes" in shared.text
    assert "no-store" in shared["Cache-Control"]
    assert Story.objects.get(pk=story.pk).headline == "Ceasefire holds"


def test_the_next_preview_replaces_what_the_address_shows(editor_client, colleague, story):
    first = preview(editor_client, change_url(story), headline="Talks collapse")
    second = preview(editor_client, change_url(story), headline="Talks resume")

    assert first["X-Newsroom-Preview-Address"] == second["X-Newsroom-Preview-Address"]
    shared = colleague.get(second["X-Newsroom-Preview-Address"])
    assert "Talks resume" in shared.text
    assert "Talks collapse" not in shared.text
    assert SharedPreview.objects.count() == 1


def test_a_new_storys_preview_is_shared_too(editor_client, colleague):
    url = reverse("admin:stories_story_add")

    response = preview(editor_client, url, headline="Brand new", slug="brand-new")

    assert "Brand new" in colleague.get(response["X-Newsroom-Preview-Address"]).text
    assert not Story.objects.exists()


def test_two_editors_previewing_one_story_have_an_address_each(editor_client, colleague, story):
    mine = preview(editor_client, change_url(story), headline="Mine")
    theirs = preview(colleague, change_url(story), headline="Theirs")

    assert mine["X-Newsroom-Preview-Address"] != theirs["X-Newsroom-Preview-Address"]


def test_readers_cannot_open_it(editor_client, client, story):
    address = preview(editor_client, change_url(story), headline="Talks collapse")[
        "X-Newsroom-Preview-Address"
    ]

    response = client.get(address)

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert "Talks collapse" not in response.text


def test_staff_who_may_not_see_stories_cannot_open_it(editor_client, django_user_model, story):
    address = preview(editor_client, change_url(story), headline="Talks collapse")[
        "X-Newsroom-Preview-Address"
    ]
    stranger = Client()
    stranger.force_login(django_user_model.objects.create_user("sam", is_staff=True))

    assert stranger.get(address).status_code == 403


def test_an_unknown_address_is_not_found(editor_client):
    url = reverse("admin:stories_story_shared_preview", args=["no-such-preview"])

    assert editor_client.get(url).status_code == 404


def test_it_goes_when_its_story_is_deleted(editor_client, story):
    preview(editor_client, change_url(story), headline="Talks collapse")

    story.delete()

    assert not SharedPreview.objects.exists()


def test_a_form_with_errors_shares_nothing(editor_client, story):
    response = preview(editor_client, change_url(story), headline="")

    assert "X-Newsroom-Preview-Address" not in response
    assert not SharedPreview.objects.exists()
