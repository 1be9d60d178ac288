"""Derived pages stay exact (newsroom.derived): generated from the models' own declarations.

For every model that declares the pages showing it (`shown_on`), and every way code writes
it (a save, a queryset update(), a delete), the page a reader is served next is the page a
rebuild from scratch makes, and shows the edit. A model that starts declaring `shown_on`
joins these tests without a line here.

Also: the render fingerprint. A stored row made by other rendering code (a template changed
by a deploy) is never served as it is, and `rebuild_pages` rebuilds every one.
"""

import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.core.management import call_command
from django.core.signals import setting_changed
from django.db import models
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape

from newsroom import derived
from newsroom.shows import declared
from stories.documents import dump_story, write_file
from stories.models import ContentVersion, PreviousSlug, Story, StoryNote
from tests.admin_helpers import error_text, form_data
from timelines.models import Timeline

SEED = Path(settings.BASE_DIR) / "fixtures" / "us-colombia-trump-petro-talks.yaml"


def shown_models():
    return sorted(
        (
            model
            for model in apps.get_models(include_auto_created=True)
            if declared(model) and (declared(model).stories or declared(model).timelines)
        ),
        key=lambda model: model._meta.label,
    )


@pytest.fixture
def seed(db):
    call_command("load_stories", str(SEED), verbosity=0)
    story = Story.objects.get()
    # The seed has no earlier address and no correction: give it one of each.
    PreviousSlug.objects.create(slug="an-earlier-address", story=story)
    StoryNote.objects.create(story=story, kind="correction", text="A correction readers saw.")
    return story


def pages(client, story):
    """What readers are served: the story page and its timeline page."""
    story = Story.objects.get(pk=story.pk)
    urls = [story.get_absolute_url(), story.timeline.get_absolute_url()]
    return [client.get(url).content.decode() for url in urls]


def rebuilt_from_scratch(client, story):
    derived.rebuild_stale(every=True)
    return pages(client, story)


def shown_text_field(model, row, html):
    """A text field of `row` that the page shows (its value is in the HTML), or None."""
    for field in model._meta.concrete_fields:
        value = getattr(row, field.attname)
        if (
            isinstance(field, models.CharField | models.TextField)
            and field.editable
            and not field.choices
            and not isinstance(field, models.SlugField | models.URLField)
            and isinstance(value, str)
            and len(value) >= 3
            and escape(value) in html
        ):
            return field
    return None


def a_row_on_the_page(model, story):
    """A row of `model` that the seed story's pages show."""
    shown_on = declared(model)
    for row in model._base_manager.order_by("pk"):
        stories, timelines = shown_on.pages_of(row)
        if story.pk in stories or story.timeline_id in timelines:
            return row
    raise AssertionError(f"the seed shows no {model._meta.label}")


@pytest.mark.parametrize("how", ["save", "update"])
@pytest.mark.parametrize("model", shown_models(), ids=lambda model: model._meta.label)
def test_an_edit_changes_the_page_readers_are_served(client, seed, model, how):
    before = pages(client, seed)
    row = a_row_on_the_page(model, seed)
    field = shown_text_field(model, row, "".join(before))
    if field is None:
        pytest.skip(f"{model._meta.label} has no text of its own on the page (see deletes)")
    marker = f"Edited {model._meta.model_name} {how}"
    if how == "save":
        setattr(row, field.attname, marker)
        row.save()
    else:
        model._default_manager.filter(pk=row.pk).update(**{field.attname: marker})

    served = pages(client, seed)

    assert marker in "".join(served)
    assert served == rebuilt_from_scratch(client, seed)


@pytest.mark.parametrize("how", ["delete", "queryset delete"])
@pytest.mark.parametrize("model", shown_models(), ids=lambda model: model._meta.label)
def test_a_delete_changes_the_page_readers_are_served(client, seed, model, how):
    row = a_row_on_the_page(model, seed)
    if model in (Story, Timeline):
        pytest.skip("deleting the page itself: see the views' tests")
    if not _deletable(row):
        pytest.skip(f"a {model._meta.label} the seed shows is protected (RESTRICT)")
    pages(client, seed)  # cached, as readers had it
    if how == "delete":
        row.delete()
    else:
        model._default_manager.filter(pk=row.pk).delete()

    assert pages(client, seed) == rebuilt_from_scratch(client, seed)


def _deletable(row):
    from django.db.models.deletion import Collector, ProtectedError, RestrictedError

    try:
        # As row.delete() collects (its origin decides some rules: stories.models.
        # restrict_when_deleted_alone).
        Collector(using="default", origin=row).collect([row])
    except (ProtectedError, RestrictedError):
        return False
    return True


def admin_pages_for(model, row, story):
    """The admin screens where `row` might be edited: its own, its story's, its timeline's."""
    if admin.site.is_registered(model):
        yield reverse(admin_urlname(model._meta, "change"), args=[row.pk])
    for parent in (story, story.timeline):
        yield reverse(admin_urlname(parent._meta, "change"), args=[parent.pk])


@pytest.mark.parametrize("model", shown_models(), ids=lambda model: model._meta.label)
def test_an_edit_in_the_admin_changes_the_page_readers_are_served(
    admin_client, client, seed, model
):
    row = a_row_on_the_page(model, seed)
    field = shown_text_field(model, row, "".join(pages(client, seed)))
    if field is None:
        pytest.skip(f"{model._meta.label} has no text of its own on the page")
    if model is StoryNote:
        pytest.skip("update and correction notes are append-only: the admin shows them read-only")
    old, marker = getattr(row, field.attname), f"Edited {model._meta.model_name} in the admin"
    for url in admin_pages_for(model, row, seed):
        data = form_data(admin_client.get(url))
        names = [name for name, value in data.items() if value == old]
        if names:
            break
    else:
        pytest.fail(f"no admin screen shows {model._meta.label}.{field.name}")
    data[names[0]] = marker

    response = admin_client.post(url, data)

    assert response.status_code == 302, error_text(response)
    served = pages(client, seed)
    assert marker in "".join(served)
    assert served == rebuilt_from_scratch(client, seed)


def replaced(document, old, new):
    """The document with every text equal to `old` made `new`; and how many there were."""
    if isinstance(document, dict):
        pairs = [(key, *replaced(value, old, new)) for key, value in document.items()]
        return {key: value for key, value, _ in pairs}, sum(count for *_, count in pairs)
    if isinstance(document, list):
        pairs = [replaced(value, old, new) for value in document]
        return [value for value, _ in pairs], sum(count for _, count in pairs)
    return (new, 1) if document == old else (document, 0)


@pytest.mark.parametrize("model", shown_models(), ids=lambda model: model._meta.label)
def test_an_edit_through_the_loader_changes_the_page_readers_are_served(
    client, seed, model, tmp_path
):
    row = a_row_on_the_page(model, seed)
    field = shown_text_field(model, row, "".join(pages(client, seed)))
    if field is None:
        pytest.skip(f"{model._meta.label} has no text of its own on the page")
    old, marker = getattr(row, field.attname), f"Edited {model._meta.model_name} in a file"
    document, found = replaced(dump_story(Story.objects.get(pk=seed.pk)), old, marker)
    assert found, f"the story file does not hold {model._meta.label}.{field.name}"
    path = tmp_path / "story.yaml"
    write_file(path, document)

    call_command("load_stories", str(path), verbosity=0)

    served = pages(client, seed)
    assert marker in "".join(served)
    assert served == rebuilt_from_scratch(client, seed)


def test_every_model_on_a_page_is_declared():
    """Guards the generated tests above: they cover the models the pages show."""
    labels = {model._meta.label for model in shown_models()}
    assert {
        "stories.Story",
        "stories.HeroImage",
        "stories.Source",
        "stories.KeyPoint",
        "stories.KeyPointCitation",
        "stories.Article",
        "stories.Outlet",
        "stories.Video",
        "stories.ExternalResource",
        "stories.StoryNote",
        "timelines.Timeline",
        "timelines.TimelineEntry",
        "timelines.EntryCitation",
    } <= labels


# --- The render fingerprint -----------------------------------------------------------------


@pytest.fixture
def templates_copy(tmp_path):
    """The project's templates in a temporary folder that a test may change, in use."""
    copy = tmp_path / "templates"
    shutil.copytree(Path(settings.BASE_DIR) / "templates", copy)
    engines = [
        {**engine, "DIRS": [copy if Path(d).name == "templates" else d for d in engine["DIRS"]]}
        for engine in settings.TEMPLATES
    ]
    with override_settings(TEMPLATES=engines):
        yield copy


def change_template(folder, name, marker):
    """Change a template as a deploy would (on disk, then a new process starts): a marker
    at its end."""
    path = folder / name
    path.write_text(path.read_text() + f"<p>{marker}</p>\n")
    # What a restart forgets: the compiled templates, and the fingerprint of the code.
    setting_changed.send(None, setting="TEMPLATES", value=settings.TEMPLATES, enter=True)


def test_a_changed_template_is_never_served_from_a_stored_row(client, seed, templates_copy):
    made_by = derived.fingerprint()
    story_page, timeline_page = pages(client, seed)
    assert "Deployed-marker" not in story_page + timeline_page

    change_template(templates_copy, "stories/story_body.html", "Deployed-marker")
    change_template(templates_copy, "timelines/timeline_body.html", "Deployed-marker")

    assert derived.fingerprint() != made_by
    assert Story.objects.get().render_fingerprint == made_by  # stored by the old code ...
    version = ContentVersion.objects.get().version
    story_page, timeline_page = pages(client, seed)
    assert "Deployed-marker" in story_page  # ... but never served as it is
    assert "Deployed-marker" in timeline_page
    assert Story.objects.get().render_fingerprint == derived.fingerprint()
    # The content is as it was: cached pages of other stories stay valid.
    assert ContentVersion.objects.get().version == version


def test_a_changed_card_template_is_never_served_in_a_feed(client, seed, templates_copy):
    client.get("/")
    change_template(templates_copy, "includes/story_card.html", "Card-marker")

    assert "Card-marker" in client.get("/").content.decode()


def test_rebuild_pages_rebuilds_every_row_made_by_other_code(seed, templates_copy):
    change_template(templates_copy, "stories/story_body.html", "Deployed-marker")
    assert derived.stale(Story).count() == 1
    assert derived.stale(Timeline).count() == 1

    call_command("rebuild_pages", verbosity=0)

    assert derived.stale(Story).count() == derived.stale(Timeline).count() == 0
    assert "Deployed-marker" in Story.objects.get().body_html


def test_a_page_marked_stale_in_a_batch_is_rebuilt_on_read(client, seed):
    """A batch marks its pages stale in the changing transaction: a reader who comes before
    the batch ends (another process) is served the new page, not the stored one."""
    with derived.batch():
        Story.objects.filter(pk=seed.pk).update(headline="Headline changed mid-batch")
        assert Story.objects.get().render_fingerprint == ""  # marked, not yet rebuilt
        story_page, _ = pages(client, seed)
        assert "Headline changed mid-batch" in story_page


# --- Only what a page shows moves the content on ----------------------------------------------
#
# Every bump of the content version makes every cached page a miss, and a miss needs the
# database: an edit that no page shows must leave cached pages valid (an editor adding
# outlets all day must not keep the whole site uncached, least of all while the database
# is away: tests/test_faults.py).


def test_an_edit_no_page_shows_leaves_the_content_version_alone(client, admin_client, seed):
    from stories.models import Article, Outlet

    version = ContentVersion.objects.get().version

    outlet = Outlet.objects.create(name="An outlet nothing cites", slug="uncited")
    Article.objects.create(outlet=outlet, title="Uncited", url="https://example.com/uncited")
    Outlet.objects.filter(pk=outlet.pk).update(website="https://example.com/")
    response = admin_client.post(
        reverse("admin:stories_outlet_add"),
        {"name": "Added in the admin", "slug": "added-in-the-admin", "website": ""},
    )
    assert response.status_code == 302, error_text(response)
    Article.objects.filter(outlet=outlet).delete()

    assert ContentVersion.objects.get().version == version


def test_an_edit_every_page_shows_moves_the_content_version_on(seed):
    from stories.models import Feed

    version = ContentVersion.objects.get().version
    Feed.objects.create(name="A feed of no story", slug="no-story")  # in the navigation

    assert ContentVersion.objects.get().version > version
