"""The newsroom's rules hold on every screen that edits what readers see, not only the story.

Each test re-posts the real form (tests.admin_helpers) the way a confused colleague or an
attacker would: from a page opened earlier, or as a role that may not make the change.
"""

import datetime
import io
from pathlib import Path

import pytest
import reversion
from django.contrib import admin
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from newsroom.editing import EditorialAdmin
from stories.models import Article, Outlet, Story, StoryNote
from tests.admin_helpers import add_inline, error_text, form_data
from tests.factories import (
    ArticleFactory,
    EntryCitationFactory,
    FeedFactory,
    KeyPointCitationFactory,
    KeyPointFactory,
    OutletFactory,
    PublishedStoryFactory,
    SourceFactory,
    StoryFactory,
    StoryNoteFactory,
    TimelineEntryFactory,
    TimelineFactory,
)
from timelines.models import Timeline, TimelineEntry

pytestmark = pytest.mark.django_db


def admin_url(obj, view="change", *args):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk, *args])


def revert_url(obj, version):
    return admin_url(obj, "revision", version.pk)


def versions_of(obj):
    return Version.objects.get_for_object(obj).order_by("pk")


def save_revision(obj, **changes):
    """Save `obj` with `changes` as one admin save would: a revision of it is kept."""
    with reversion.create_revision():
        for name, value in changes.items():
            setattr(obj, name, value)
        obj.save()
    return versions_of(obj).last()


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


@pytest.fixture
def cited_article(db):
    """An article that a published story lists as a source."""
    story = PublishedStoryFactory(headline="Ceasefire holds")
    return SourceFactory(story=story, position=1, article__title="Original title").article


# --- 1. History: a revert is a save, checked as one ------------------------------------------


def test_reporter_cannot_unpublish_a_story_through_history(reporter_client, editor_client, client):
    story = StoryFactory(headline="Talks resume")
    draft = save_revision(story)
    point = KeyPointFactory(story=story, position=1)
    KeyPointCitationFactory(key_point=point, source=SourceFactory(story=story, position=1))
    save_revision(
        story, status=Story.Status.PUBLISHED, published_at=timezone.now() - datetime.timedelta(1)
    )
    assert client.get(story.get_absolute_url()).status_code == 200
    # The form the History page shows (an editor's copy: a reporter is not shown it).
    data = form_data(editor_client.get(revert_url(story, draft)))

    page = reporter_client.get(revert_url(story, draft))
    response = reporter_client.post(revert_url(story, draft), data)

    assert page.status_code == 403
    assert response.status_code == 403
    story = reload(story)
    assert story.status == Story.Status.PUBLISHED
    assert point.citation_links.count() == 1
    assert client.get(story.get_absolute_url()).status_code == 200


def test_reporter_cannot_revert_a_draft_to_a_revision_in_which_it_was_published(
    reporter_client, editor_client
):
    story = PublishedStoryFactory(headline="Published once")
    published = save_revision(story)
    save_revision(story, status=Story.Status.DRAFT, published_at=None, updated_at=None)
    data = form_data(editor_client.get(revert_url(story, published)))

    response = reporter_client.post(revert_url(story, published), data)

    assert response.status_code == 403
    assert reload(story).status == Story.Status.DRAFT


def test_reporter_may_revert_a_draft_to_an_earlier_draft(reporter_client):
    story = StoryFactory(headline="First draft")
    first = save_revision(story)
    save_revision(story, headline="Second draft")
    url = revert_url(story, first)

    response = reporter_client.post(url, form_data(reporter_client.get(url)))

    assert response.status_code == 302, error_text(response)
    assert reload(story).headline == "First draft"


def test_reporter_cannot_revert_a_draft_revision_that_rewrites_a_published_article(
    reporter_client, editor_client, cited_article
):
    draft = StoryFactory()
    with reversion.create_revision():
        SourceFactory(story=draft, position=1, article=cited_article)
        cited_article.title = "A title a reporter once gave it"
        cited_article.save()
        draft.save()
    revision = versions_of(draft).last()
    save_revision(cited_article, title="Original title")
    data = form_data(editor_client.get(revert_url(draft, revision)))

    response = reporter_client.post(revert_url(draft, revision), data)

    assert response.status_code == 403
    assert reload(cited_article).title == "Original title"


def test_reporter_cannot_recover_a_deleted_published_story(reporter_client, editor_client):
    story = PublishedStoryFactory(headline="Gone for now")
    save_revision(story)
    story.delete()
    (version,) = Version.objects.get_deleted(Story)
    url = reverse("admin:stories_story_recover", args=[version.pk])
    data = form_data(editor_client.get(url))

    response = reporter_client.post(url, data)

    assert response.status_code == 403
    assert not Story.objects.filter(headline="Gone for now").exists()
    recovered = editor_client.post(url, data)
    assert recovered.status_code == 302, error_text(recovered)
    assert Story.objects.get(headline="Gone for now").status == Story.Status.PUBLISHED


def test_reverting_to_before_a_correction_keeps_the_correction(editor_client, client):
    story = PublishedStoryFactory(headline="Before the correction")
    before = save_revision(story)
    data = form_data(editor_client.get(admin_url(story)))
    data.update(
        headline="After the correction",
        change_kind="correction",
        change_note="An earlier version gave the wrong date.",
    )
    assert editor_client.post(admin_url(story), data).status_code == 302

    url = revert_url(story, before)
    response = editor_client.post(url, form_data(editor_client.get(url)))

    assert response.status_code == 302, error_text(response)
    story = reload(story)
    assert story.headline == "Before the correction"
    (note,) = story.notes.all()
    assert note.kind == StoryNote.Kind.CORRECTION
    assert "An earlier version gave the wrong date." in client.get(story.get_absolute_url()).text


# --- Update and correction notes are append-only ---------------------------------------------


@pytest.mark.parametrize("forged", [{"notes-0-DELETE": "on"}, {"notes-0-text": "Nothing here."}])
def test_nobody_edits_or_deletes_a_note_readers_have_seen(editor_client, forged):
    story = PublishedStoryFactory()
    note = StoryNoteFactory(story=story, kind=StoryNote.Kind.CORRECTION, text="We erred.")
    data = form_data(editor_client.get(admin_url(story)))
    data.update({"notes-0-id": str(note.pk), "notes-0-story": str(story.pk), **forged})

    editor_client.post(admin_url(story), data)

    assert reload(note).text == "We erred."


# --- 2. A published story's timeline follows the story's rules --------------------------------


@pytest.fixture
def published_timeline(db):
    timeline = TimelineFactory(title="Road to the talks")
    story = PublishedStoryFactory(timeline=timeline)
    source = SourceFactory(story=story, position=1)
    entry = TimelineEntryFactory(timeline=timeline, position=1, text="Envoys land.")
    EntryCitationFactory(entry=entry, article=source.article)
    timeline.story = story
    return timeline


def test_reporter_cannot_edit_the_timeline_of_a_published_story(
    reporter_client, editor_client, client, published_timeline
):
    data = form_data(editor_client.get(admin_url(published_timeline)))
    data["title"] = "Retitled by a reporter"
    data["entries-0-text"] = "Rewritten by a reporter."

    response = reporter_client.post(admin_url(published_timeline), data)

    assert response.status_code == 403
    assert reload(published_timeline).title == "Road to the talks"
    assert TimelineEntry.objects.get(timeline=published_timeline).text == "Envoys land."
    page = client.get(published_timeline.story.get_absolute_url()).text
    assert "Envoys land." in page
    assert "Rewritten by a reporter." not in page


def test_reporter_may_edit_a_timeline_only_drafts_show(reporter_client):
    timeline = TimelineFactory(title="Draft timeline")
    StoryFactory(timeline=timeline)
    data = form_data(reporter_client.get(admin_url(timeline)))
    data["title"] = "Better title"

    response = reporter_client.post(admin_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    assert reload(timeline).title == "Better title"


def test_deleting_a_timeline_a_published_story_shows_is_refused_naming_the_story(
    editor_client, published_timeline
):
    page = editor_client.get(admin_url(published_timeline, "delete"))
    response = editor_client.post(admin_url(published_timeline, "delete"), {"post": "yes"})
    bulk = editor_client.post(
        reverse("admin:timelines_timeline_changelist"),
        {"action": "delete_selected", "_selected_action": [published_timeline.pk], "post": "yes"},
    )

    assert "cannot be deleted while a published or scheduled story shows it" in page.text
    assert published_timeline.story.headline in page.text
    assert response.status_code == 200
    assert bulk.status_code == 200
    assert published_timeline.story.headline in bulk.text
    assert Timeline.objects.filter(pk=published_timeline.pk).exists()


def test_deleting_a_timeline_only_drafts_show_unlinks_them(editor_client):
    timeline = TimelineFactory()
    draft = StoryFactory(timeline=timeline)

    response = editor_client.post(admin_url(timeline, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert reload(draft).timeline is None


# --- 3. Shared records a published story shows are editors' ---------------------------------


def test_reporter_cannot_retitle_an_article_a_published_story_cites(
    reporter_client, editor_client, client, cited_article
):
    data = form_data(editor_client.get(admin_url(cited_article)))
    data["title"] = "Retitled by a reporter"

    response = reporter_client.post(admin_url(cited_article), data)

    assert response.status_code == 403
    assert reload(cited_article).title == "Original title"


def test_reporter_cannot_rename_an_outlet_a_published_story_cites(
    reporter_client, editor_client, cited_article
):
    outlet = cited_article.outlet
    data = form_data(editor_client.get(admin_url(outlet)))
    data["name"] = "Renamed by a reporter"

    response = reporter_client.post(admin_url(outlet), data)

    assert response.status_code == 403
    assert reload(outlet).name == outlet.name


def test_reporter_cannot_retitle_a_published_article_through_a_draft_source(
    reporter_client, cited_article
):
    draft = StoryFactory()
    data = form_data(reporter_client.get(admin_url(draft)))
    add_inline(
        data, "sources", url=cited_article.url, title="Retitled through a draft", position="1"
    )

    response = reporter_client.post(admin_url(draft), data)

    assert response.status_code == 200
    assert "only an editor can change its title" in error_text(response)
    assert reload(cited_article).title == "Original title"
    assert not draft.sources.exists()


def test_reporter_may_cite_a_published_article_as_it_is(reporter_client, cited_article):
    draft = StoryFactory()
    data = form_data(reporter_client.get(admin_url(draft)))
    add_inline(data, "sources", url=cited_article.url, position="1")

    response = reporter_client.post(admin_url(draft), data)

    assert response.status_code == 302, error_text(response)
    assert draft.sources.get().article == cited_article


def test_reporter_may_still_create_articles_and_outlets(reporter_client):
    outlet_form = form_data(reporter_client.get(reverse("admin:stories_outlet_add")))
    outlet_form.update(name="Harbor Gazette", slug="harbor-gazette")
    assert (
        reporter_client.post(reverse("admin:stories_outlet_add"), outlet_form).status_code == 302
    )
    outlet = Outlet.objects.get(slug="harbor-gazette")
    article_form = form_data(reporter_client.get(reverse("admin:stories_article_add")))
    article_form.update(outlet=outlet.pk, title="Port reopens", url="https://gazette.example/a")

    response = reporter_client.post(reverse("admin:stories_article_add"), article_form)

    assert response.status_code == 302, error_text(response)
    assert Article.objects.get(url="https://gazette.example/a").outlet == outlet


def test_editor_may_retitle_an_article_a_published_story_cites(
    editor_client, client, cited_article
):
    data = form_data(editor_client.get(admin_url(cited_article)))
    data["title"] = "Corrected title"

    response = editor_client.post(admin_url(cited_article), data)

    assert response.status_code == 302, error_text(response)
    story = cited_article.sources.get().story
    assert "Corrected title" in client.get(story.get_absolute_url()).text


# --- 4. Every editing screen refuses a stale form ---------------------------------------------


def editing_screens():
    """Every admin screen that edits what readers see (EditorialAdmin), by model."""
    return sorted(
        (
            model
            for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, EditorialAdmin)
        ),
        key=lambda model: model._meta.label,
    )


def a_row_of(model):
    return {
        "stories.Story": lambda: PublishedStoryFactory(headline="Original"),
        "stories.Feed": lambda: FeedFactory(name="Original"),
        "stories.Outlet": lambda: OutletFactory(name="Original"),
        "stories.Article": lambda: ArticleFactory(title="Original"),
        "timelines.Timeline": lambda: TimelineFactory(title="Original"),
    }[model._meta.label]()


TEXT_FIELD = {
    "stories.Story": "headline",
    "stories.Feed": "name",
    "stories.Outlet": "name",
    "stories.Article": "title",
    "timelines.Timeline": "title",
}


def test_every_editing_screen_is_covered_by_the_stale_form_test():
    assert {model._meta.label for model in editing_screens()} == set(TEXT_FIELD)


@pytest.mark.parametrize("model", editing_screens(), ids=lambda model: model._meta.label)
def test_every_editing_screen_refuses_a_form_opened_before_another_save(editor_client, model):
    row = a_row_of(model)
    url = admin_url(row)
    field = TEXT_FIELD[model._meta.label]
    first, second = form_data(editor_client.get(url)), form_data(editor_client.get(url))
    first[field], second[field] = "Saved first", "Saved second, from an older form"

    assert editor_client.post(url, first).status_code == 302
    response = editor_client.post(url, second)

    assert response.status_code == 200
    errors = error_text(response)
    assert f"Someone else saved this {model._meta.verbose_name} after you opened it" in errors
    assert getattr(reload(row), field) == "Saved first"
    # Both versions are kept: theirs in History, this editor's in the form shown again.
    assert response.context["adminform"].form.data[field] == "Saved second, from an older form"
    assert versions_of(row).last().field_dict[field] == "Saved first"


@pytest.fixture
def second_editor_client(django_user_model):
    from django.contrib.auth.models import Group
    from django.test import Client

    other = django_user_model.objects.create_user(
        username="omar-other-editor", password="not-a-real-password", is_staff=True
    )
    other.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(other)
    return client


def conflicted(editor_client, second_editor_client, model):
    """A row two editors opened; the other saved first. Returns (row, url, field, the
    refused response, the form the first editor sent)."""
    row = a_row_of(model)
    url = admin_url(row)
    field = TEXT_FIELD[model._meta.label]
    mine, theirs = form_data(editor_client.get(url)), form_data(second_editor_client.get(url))
    theirs[field], mine[field] = "Theirs, saved first", "Mine, from the older form"
    assert second_editor_client.post(url, theirs).status_code == 302
    response = editor_client.post(url, mine)
    assert response.status_code == 200
    return row, url, field, response, mine


@pytest.mark.parametrize("model", editing_screens(), ids=lambda model: model._meta.label)
def test_a_refused_editor_sees_who_saved_when_and_their_values_beside_mine(
    editor_client, second_editor_client, model
):
    _, _, field, response, _ = conflicted(editor_client, second_editor_client, model)

    conflict = response.context["adminform"].form.conflict
    assert conflict.saved_by == "omar-other-editor"
    assert conflict.saved_at is not None
    label = str(response.context["adminform"].form[field].label)
    assert (label, "Mine, from the older form", "Theirs, saved first") in conflict.differences
    page = response.text
    assert "omar-other-editor" in page and "Theirs, saved first" in page
    assert 'name="_reapply"' in page


@pytest.mark.parametrize("model", editing_screens(), ids=lambda model: model._meta.label)
def test_a_refused_editor_reapplies_their_values_with_one_click(
    editor_client, second_editor_client, model
):
    row, url, field, response, mine = conflicted(editor_client, second_editor_client, model)
    reapply = response.context["adminform"].form.conflict.version

    saved = editor_client.post(url, {**mine, "_reapply": str(reapply)})

    assert saved.status_code == 302, error_text(saved)
    assert getattr(reload(row), field) == "Mine, from the older form"


def test_reapplying_after_yet_another_save_is_refused_again(editor_client, second_editor_client):
    row, url, field, response, mine = conflicted(editor_client, second_editor_client, Story)
    reapply = response.context["adminform"].form.conflict.version
    again = form_data(second_editor_client.get(url))
    again[field] = "Theirs, saved again"
    assert second_editor_client.post(url, again).status_code == 302

    refused = editor_client.post(url, {**mine, "_reapply": str(reapply)})

    assert refused.status_code == 200
    assert "Someone else saved this story after you opened it" in error_text(refused)
    assert reload(row).headline == "Theirs, saved again"


def test_stale_timeline_form_does_not_replace_an_entry_someone_saved(editor_client):
    timeline = TimelineFactory()
    TimelineEntryFactory(timeline=timeline, position=1, text="Original entry.")
    url = admin_url(timeline)
    opened_by_a = form_data(editor_client.get(url))
    opened_by_b = form_data(editor_client.get(url))
    opened_by_b["entries-0-text"] = "B's entry."
    assert editor_client.post(url, opened_by_b).status_code == 302
    opened_by_a["entries-0-text"] = "A's entry."

    response = editor_client.post(url, opened_by_a)

    assert response.status_code == 200
    assert "Someone else saved this timeline" in error_text(response)
    assert TimelineEntry.objects.get(timeline=timeline).text == "B's entry."


def test_an_article_saved_from_the_story_screen_makes_its_own_open_form_stale(editor_client):
    story = PublishedStoryFactory()
    article = SourceFactory(story=story, position=1, article__title="Original").article
    article_form = form_data(editor_client.get(admin_url(article)))
    story_form = form_data(editor_client.get(admin_url(story)))
    story_form["sources-0-title"] = "Retitled on the story screen"
    assert editor_client.post(admin_url(story), story_form).status_code == 302
    article_form["title"] = "Retitled on the article screen"

    response = editor_client.post(admin_url(article), article_form)

    assert response.status_code == 200
    assert reload(article).title == "Retitled on the story screen"


# --- Outlet names are unique whatever their case --------------------------------------------


def test_a_new_outlet_named_in_another_case_is_the_known_outlet(editor_client):
    outlet = OutletFactory(name="BBC", slug="bbc")
    story = StoryFactory()
    data = form_data(editor_client.get(admin_url(story)))
    add_inline(
        data, "sources", url="https://bbc.example/a", title="A", new_outlet="  bbc ", position="1"
    )

    response = editor_client.post(admin_url(story), data)

    assert response.status_code == 302, error_text(response)
    assert story.sources.get().article.outlet == outlet
    assert Outlet.objects.count() == 1


def test_outlet_screen_refuses_a_name_that_differs_only_in_case(editor_client):
    OutletFactory(name="BBC", slug="bbc")
    data = form_data(editor_client.get(reverse("admin:stories_outlet_add")))
    data.update(name="bbc", slug="bbc-2")

    response = editor_client.post(reverse("admin:stories_outlet_add"), data)

    assert response.status_code == 200
    assert "An outlet of that name exists already" in error_text(response)
    assert Outlet.objects.count() == 1


def test_database_refuses_outlet_names_that_differ_only_in_case_or_spaces():
    OutletFactory(name="Reuters", slug="reuters")

    with pytest.raises(IntegrityError), transaction.atomic():
        Outlet.objects.create(name=" REUTERS ", slug="reuters-2")


SEED = "fixtures/us-colombia-trump-petro-talks.yaml"


def test_loader_uses_an_outlet_named_in_another_case():
    import yaml

    document = yaml.safe_load(Path(SEED).read_text(encoding="utf-8"))
    outlet = document["outlets"][0]
    known = OutletFactory(name=outlet["name"].upper(), slug="known-under-another-slug")
    call_command("load_stories", SEED, stdout=io.StringIO())

    assert not Outlet.objects.filter(slug=outlet["slug"]).exists()
    assert reload(known).name == outlet["name"].upper()
    assert Article.objects.filter(outlet=known).exists()


# --- load_stories leaves History a revision naming the file ---------------------------------


def test_loading_a_story_file_records_a_revision_naming_it():
    call_command("load_stories", SEED, stdout=io.StringIO())

    story = Story.objects.get()
    (version,) = versions_of(story)
    assert version.revision.comment == f"Loaded from {SEED} (load_stories)"
    assert versions_of(story.timeline).count() == 1


def test_loading_an_unchanged_file_records_no_revision():
    call_command("load_stories", SEED, stdout=io.StringIO())
    call_command("load_stories", SEED, stdout=io.StringIO())

    assert versions_of(Story.objects.get()).count() == 1


def test_a_revision_the_loader_recorded_reverts_the_whole_story(editor_client):
    import yaml

    call_command("load_stories", SEED, stdout=io.StringIO())
    story = Story.objects.get()
    loaded = versions_of(story).last()
    sources = [source.article.url for source in story.sources.all()]
    data = form_data(editor_client.get(admin_url(story)))
    data["headline"] = "Edited in the admin"
    data["key_points-0-DELETE"] = "on"
    assert editor_client.post(admin_url(story), data).status_code == 302
    document = yaml.safe_load(Path(SEED).read_text(encoding="utf-8"))

    url = revert_url(story, loaded)
    response = editor_client.post(url, form_data(editor_client.get(url)))

    assert response.status_code == 302, error_text(response)
    story = reload(story)
    assert story.headline == document["headline"]
    assert story.key_points.count() == len(document["key_points"])
    assert [source.article.url for source in story.sources.all()] == sources
    assert all(point.citation_links.exists() for point in story.key_points.all())


def test_a_staff_member_without_permissions_cannot_read_a_storys_diffs(django_user_model):
    from django.test import Client

    story = StoryFactory(headline="Embargoed until Monday")
    older = save_revision(story)
    newer = save_revision(story, headline="Still embargoed")
    outsider = django_user_model.objects.create_user("temp", password="x" * 20, is_staff=True)
    client = Client()
    client.force_login(outsider)

    response = client.get(
        admin_url(story, "history") + "compare/",
        {"version_id1": older.pk, "version_id2": newer.pk},
    )

    assert response.status_code == 403
    assert "Embargoed" not in response.text
