"""The story admin, driven through the test client as each newsroom role.

Every rule is checked on the server: the tests post what a browser could send (built from the
rendered form by tests.admin_helpers), forged values included, and never rely on a button
being hidden.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from reversion.models import Revision, Version

from stories.models import (
    Article,
    ContentVersion,
    KeyPoint,
    KeyPointCitation,
    Outlet,
    Source,
    Story,
    StoryNote,
)
from tests.admin_helpers import add_inline, error_text, form_data, inline_index, message_texts
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
    TimelineFactory,
    seed_shaped_story,
)

pytestmark = pytest.mark.django_db


# --- Addresses and payloads --------------------------------------------------------------


def add_url():
    return reverse("admin:stories_story_add")


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def delete_url(story):
    return reverse("admin:stories_story_delete", args=[story.pk])


def changelist_url():
    return reverse("admin:stories_story_changelist")


def history_url(story):
    return reverse("admin:stories_story_history", args=[story.pk])


def split(moment):
    """A time as the admin's date and time inputs take it."""
    moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")


def new_story_form(client, **fields):
    data = form_data(client.get(add_url()))
    data.update(headline="Talks resume in Havana", slug="talks-resume", summary="They resumed.")
    data.update(fields)
    return data


def story_form(client, story, **fields):
    data = form_data(client.get(change_url(story)))
    data.update(fields)
    return data


def action(client, name, *stories, **extra):
    data = {"action": name, "_selected_action": [story.pk for story in stories], **extra}
    return client.post(changelist_url(), data)


def reload(story):
    return Story.objects.get(pk=story.pk)


def public_page(client, story):
    """The story page as an anonymous reader gets it (through the page cache)."""
    return client.get(story.get_absolute_url())


def cited_numbers(page, key_point_index):
    """The citation numbers shown after the n-th key point (1-based) on a public page."""
    point = page.find("li", id=f"key-point-{key_point_index}")
    return [link.text for link in point.find_all("a", class_="cite")]


def rendered_forms(page, tag, **kwargs):
    """Elements of the inline forms shown, leaving out the template "Add another" copies."""

    def in_template(element):
        while element is not None:
            if element.attrs.get("id", "").endswith("-empty"):
                return True
            element = element.parent
        return False

    return [element for element in page.find_all(tag, **kwargs) if not in_template(element)]


def revisions_of(story):
    return Version.objects.get_for_object(story).select_related("revision__user")


def hours_from_now(hours):
    return timezone.now() + datetime.timedelta(hours=hours)


@pytest.fixture
def later(monkeypatch):
    """Move the clock forward: later(hours=2) makes timezone.now() two hours from now."""

    def move(**delta):
        moment = timezone.now() + datetime.timedelta(**delta)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return move


@pytest.fixture
def cited_story(db):
    """A published story with two sources; its key point cites the first, [1]."""
    story = PublishedStoryFactory(headline="Ceasefire holds", slug="ceasefire-holds")
    first = SourceFactory(story=story, position=1, article__title="First article")
    second = SourceFactory(story=story, position=2, article__title="Second article")
    point = KeyPointFactory(story=story, position=1, heading="Both sides agree")
    KeyPointCitation.objects.create(key_point=point, source=first)
    story.sources_by_position = [first, second]
    return story


# --- Reporters: write and send to review, never publish -----------------------------------


def test_reporter_can_open_the_add_page(reporter_client):
    response = reporter_client.get(add_url())

    assert response.status_code == 200
    status = response.context["adminform"].form.fields["status"]
    assert [value for value, _ in status.choices] == ["draft", "review"]


def test_reporter_creates_a_draft_with_hero_image_source_and_key_point(reporter_client):
    data = new_story_form(reporter_client)
    data.update(
        {
            "hero_image-0-image_url": "https://example.org/images/havana.jpg",
            "hero_image-0-alt_text": "Negotiators around a table.",
        }
    )
    add_inline(
        data,
        "sources",
        url="https://news.example.com/havana-talks",
        title="Talks resume in Havana",
        new_outlet="Havana Herald",
        position="1",
    )
    add_inline(data, "key_points", heading="Talks resumed", body="Both sides **met**.")

    response = reporter_client.post(add_url(), data)

    assert response.status_code == 302, error_text(response)
    story = Story.objects.get(slug="talks-resume")
    assert story.status == Story.Status.DRAFT
    assert story.published_at is None
    assert story.hero_image.src == "https://example.org/images/havana.jpg"
    source = story.sources.get()
    assert source.article.url == "https://news.example.com/havana-talks"
    assert source.article.title == "Talks resume in Havana"
    assert source.article.outlet.name == "Havana Herald"
    assert Outlet.objects.get(name="Havana Herald").slug == "havana-herald"
    point = story.key_points.get()
    assert point.body_html == "<p>Both sides <strong>met</strong>.</p>"


def test_reporter_can_send_a_story_to_review(reporter_client):
    story = StoryFactory()

    response = reporter_client.post(
        change_url(story), story_form(reporter_client, story, status="review")
    )

    assert response.status_code == 302, error_text(response)
    assert reload(story).status == Story.Status.IN_REVIEW


@pytest.mark.parametrize("status", ["published", "archived"])
def test_reporter_cannot_create_a_published_or_archived_story(reporter_client, status):
    response = reporter_client.post(add_url(), new_story_form(reporter_client, status=status))

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert not Story.objects.exists()


@pytest.mark.parametrize("status", ["published", "archived"])
def test_reporter_cannot_publish_or_archive_a_draft(reporter_client, status):
    story = StoryFactory()

    response = reporter_client.post(
        change_url(story), story_form(reporter_client, story, status=status)
    )

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert reload(story).status == Story.Status.DRAFT


def test_reporter_cannot_set_publication_times(reporter_client):
    story = StoryFactory()
    date, time = split(hours_from_now(1))
    data = story_form(reporter_client, story, published_at_0=date, published_at_1=time)

    response = reporter_client.post(change_url(story), data)

    assert response.status_code == 200
    assert "Only an editor can set publication times." in error_text(response)
    assert reload(story).published_at is None


def test_reporter_sees_a_published_story_read_only(reporter_client):
    story = PublishedStoryFactory()

    response = reporter_client.get(change_url(story))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b'name="headline"' not in response.content
    assert b'name="_preview"' not in response.content


def test_reporter_cannot_change_a_published_story(reporter_client, editor_client):
    story = PublishedStoryFactory(headline="Original headline")
    forged = story_form(editor_client, story, headline="Reporter's headline")

    response = reporter_client.post(change_url(story), forged)

    assert response.status_code == 403
    assert reload(story).headline == "Original headline"


def test_reporter_cannot_delete_a_published_story(reporter_client):
    story = PublishedStoryFactory()

    assert reporter_client.get(delete_url(story)).status_code == 403
    assert reporter_client.post(delete_url(story), {"post": "yes"}).status_code == 403
    assert Story.objects.filter(pk=story.pk).exists()


def test_reporter_cannot_bulk_delete_a_published_story(reporter_client):
    draft, published = StoryFactory(), PublishedStoryFactory()

    response = action(reporter_client, "delete_selected", draft, published, post="yes")

    assert response.status_code == 403
    assert Story.objects.filter(pk__in=[draft.pk, published.pk]).count() == 2


def test_reporter_is_not_offered_publish_or_archive(reporter_client):
    response = reporter_client.get(changelist_url())

    offered = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" in offered
    assert "publish_selected" not in offered
    assert "archive_selected" not in offered


@pytest.mark.parametrize("name", ["publish_selected", "archive_selected"])
def test_reporter_forged_publish_or_archive_action_changes_nothing(reporter_client, name):
    story = StoryFactory(status=Story.Status.IN_REVIEW)

    action(reporter_client, name, story)

    story = reload(story)
    assert story.status == Story.Status.IN_REVIEW
    assert story.published_at is None


def test_reporter_cannot_add_a_published_story_to_a_feed(reporter_client):
    feed = FeedFactory()
    story = PublishedStoryFactory()

    response = action(reporter_client, f"add_to_feed_{feed.pk}", story)

    assert response.status_code == 403
    assert not story.feeds.exists()


def test_reporter_can_delete_a_draft(reporter_client):
    story = StoryFactory()
    SourceFactory(story=story)
    KeyPointCitationFactory(key_point__story=story)

    response = reporter_client.post(delete_url(story), {"post": "yes"})

    assert response.status_code == 302
    assert not Story.objects.filter(pk=story.pk).exists()


# --- Editors: publish, schedule, archive --------------------------------------------------


def test_editor_publishing_a_draft_sets_first_published_time(editor_client):
    story = StoryFactory()
    before = timezone.now()

    response = editor_client.post(
        change_url(story), story_form(editor_client, story, status="published")
    )

    assert response.status_code == 302, error_text(response)
    story = reload(story)
    assert before <= story.published_at <= timezone.now()
    assert story.updated_at == story.published_at
    assert Story.objects.published().filter(pk=story.pk).exists()


def test_editor_adding_a_published_story_sets_first_published_time(editor_client):
    before = timezone.now()

    response = editor_client.post(add_url(), new_story_form(editor_client, status="published"))

    assert response.status_code == 302, error_text(response)
    story = Story.objects.get(slug="talks-resume")
    assert before <= story.published_at <= timezone.now()


def test_bulk_publishing_a_draft_sets_first_published_time(editor_client):
    story = StoryFactory()
    before = timezone.now()

    action(editor_client, "publish_selected", story)

    story = reload(story)
    assert story.status == Story.Status.PUBLISHED
    assert before <= story.published_at <= timezone.now()
    assert story.updated_at == story.published_at
    assert Story.objects.published().filter(pk=story.pk).exists()


def test_publishing_again_later_keeps_first_published_time(editor_client, later):
    story = StoryFactory()
    action(editor_client, "publish_selected", story)
    first_published = reload(story).published_at
    later(days=1)
    response = editor_client.post(
        change_url(story), story_form(editor_client, story, status="archived")
    )
    assert response.status_code == 302, error_text(response)
    later(days=2)

    response = editor_client.post(
        change_url(story), story_form(editor_client, story, status="published")
    )

    assert response.status_code == 302, error_text(response)
    # The form's time inputs carry whole seconds only.
    assert reload(story).published_at.replace(microsecond=0) == first_published.replace(
        microsecond=0
    )


def test_first_published_time_of_a_public_story_cannot_be_moved(editor_client):
    story = PublishedStoryFactory(published_at=hours_from_now(-5))
    date, time = split(hours_from_now(-1))

    response = editor_client.post(
        change_url(story),
        story_form(editor_client, story, published_at_0=date, published_at_1=time),
    )

    assert response.status_code == 200
    assert "published_at" in response.context["adminform"].form.errors
    assert reload(story).published_at == story.published_at


def test_scheduled_story_can_be_rescheduled(editor_client):
    story = StoryFactory(status=Story.Status.PUBLISHED, published_at=hours_from_now(1))
    new_time = hours_from_now(3).replace(microsecond=0)
    date, time = split(new_time)

    response = editor_client.post(
        change_url(story),
        story_form(editor_client, story, published_at_0=date, published_at_1=time),
    )

    assert response.status_code == 302, error_text(response)
    assert reload(story).published_at == new_time
    assert ContentVersion.current().next_publish_at == new_time


def test_bulk_publishing_keeps_first_published_time(editor_client):
    first_published = hours_from_now(-48)
    story = StoryFactory(status=Story.Status.ARCHIVED, published_at=first_published)

    action(editor_client, "publish_selected", story)

    story = reload(story)
    assert story.status == Story.Status.PUBLISHED
    assert story.published_at == first_published


def test_scheduled_story_goes_live_at_its_time_without_a_save(
    editor_client, client, homepage_feed, later
):
    story = StoryFactory(headline="Vote count begins", feeds=[homepage_feed])
    go_live = hours_from_now(1)
    date, time = split(go_live)
    data = story_form(
        editor_client, story, status="published", published_at_0=date, published_at_1=time
    )
    response = editor_client.post(change_url(story), data)
    assert response.status_code == 302, error_text(response)

    assert not Story.objects.published().filter(pk=story.pk).exists()
    assert public_page(client, story).status_code == 404
    assert "Vote count begins" not in client.get(reverse("stories:home")).text
    state = ContentVersion.current()
    assert state.next_publish_at == go_live.replace(microsecond=0)

    later(hours=1, minutes=1)

    assert ContentVersion.current().version > state.version
    assert Story.objects.published().filter(pk=story.pk).exists()
    assert public_page(client, story).status_code == 200
    assert "Vote count begins" in client.get(reverse("stories:home")).text


def test_editor_archives_a_story(editor_client, client):
    story = PublishedStoryFactory()
    assert public_page(client, story).status_code == 200

    response = editor_client.post(
        change_url(story), story_form(editor_client, story, status="archived")
    )

    assert response.status_code == 302, error_text(response)
    assert reload(story).status == Story.Status.ARCHIVED
    assert public_page(client, story).status_code == 404


@pytest.mark.parametrize(
    ("name", "status"),
    [("publish_selected", Story.Status.PUBLISHED), ("archive_selected", Story.Status.ARCHIVED)],
)
def test_bulk_status_actions_record_a_revision_by_the_editor(editor_client, editor, name, status):
    stories = StoryFactory.create_batch(2, status=Story.Status.IN_REVIEW)

    response = action(editor_client, name, *stories)

    assert response.status_code == 302
    for story in stories:
        assert reload(story).status == status
        (version,) = revisions_of(story)
        assert version.revision.user == editor
        assert "bulk action" in version.revision.comment.lower()
        assert version.field_dict["status"] == status


@pytest.mark.parametrize(
    ("name", "comment"),
    [
        ("publish_selected", "Bulk action: published"),
        ("archive_selected", "Bulk action: archived"),
        ("add_to_feed", "Bulk action: added to Latin America"),
    ],
)
def test_bulk_actions_record_one_revision_per_story(editor_client, name, comment):
    feed = FeedFactory(name="Latin America")
    stories = StoryFactory.create_batch(2, status=Story.Status.IN_REVIEW)
    name = f"add_to_feed_{feed.pk}" if name == "add_to_feed" else name

    action(editor_client, name, *stories)

    revisions = [revisions_of(story).get().revision for story in stories]
    assert revisions[0] != revisions[1]
    assert [revision.comment for revision in revisions] == [comment, comment]


def test_bulk_add_to_feed_records_a_revision_by_the_editor(editor_client, editor):
    feed = FeedFactory(name="Latin America")
    stories = PublishedStoryFactory.create_batch(2)

    response = action(editor_client, f"add_to_feed_{feed.pk}", *stories)

    assert response.status_code == 302
    for story in stories:
        assert list(story.feeds.all()) == [feed]
        (version,) = revisions_of(story)
        assert version.revision.user == editor
        assert "Latin America" in version.revision.comment
        assert version.field_dict["feeds"] == [feed.pk]


# --- What readers are told about a change --------------------------------------------------


def test_update_moves_updated_time_and_tells_readers(editor_client, client):
    story = PublishedStoryFactory(published_at=hours_from_now(-5))
    before = timezone.now()
    data = story_form(
        editor_client, story, change_kind="update", change_note="Turnout figures added."
    )

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, error_text(response)
    assert reload(story).updated_at >= before
    note = story.notes.get()
    assert (note.kind, note.text) == (StoryNote.Kind.UPDATE, "Turnout figures added.")
    page = public_page(client, story).text
    assert "Updates" in page
    assert "<strong>Update</strong>" in page
    assert "Turnout figures added." in page


def test_correction_tells_readers_and_keeps_updated_time(editor_client, client):
    story = PublishedStoryFactory(published_at=hours_from_now(-5))
    data = story_form(
        editor_client, story, change_kind="correction", change_note="The vote was on Sunday."
    )

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, error_text(response)
    assert reload(story).updated_at.replace(microsecond=0) == story.updated_at.replace(
        microsecond=0
    )
    assert story.notes.get().kind == StoryNote.Kind.CORRECTION
    page = public_page(client, story).text
    assert "<strong>Correction</strong>" in page
    assert "The vote was on Sunday." in page


def test_minor_edit_keeps_updated_time_and_adds_no_note(editor_client):
    story = PublishedStoryFactory(published_at=hours_from_now(-5))

    response = editor_client.post(
        change_url(story), story_form(editor_client, story, headline="Fixed a typo")
    )

    assert response.status_code == 302, error_text(response)
    assert reload(story).updated_at.replace(microsecond=0) == story.updated_at.replace(
        microsecond=0
    )
    assert not story.notes.exists()


@pytest.mark.parametrize("kind", ["update", "correction"])
def test_update_or_correction_without_a_note_is_refused(editor_client, kind):
    story = PublishedStoryFactory(published_at=hours_from_now(-5))

    response = editor_client.post(
        change_url(story), story_form(editor_client, story, change_kind=kind, change_note=" ")
    )

    assert response.status_code == 200
    assert "change_note" in response.context["adminform"].form.errors
    assert not story.notes.exists()
    assert reload(story).updated_at == story.updated_at


# --- Two people editing the same story ------------------------------------------------------


def test_save_from_a_form_opened_before_someone_elses_save_is_refused(editor_client):
    story = PublishedStoryFactory(headline="Original headline")
    first = story_form(editor_client, story)
    second = dict(first)
    first["headline"] = "First editor's headline"
    second["headline"] = "Second editor's headline"

    assert editor_client.post(change_url(story), first).status_code == 302
    assert reload(story).version == 2
    response = editor_client.post(change_url(story), second)

    assert response.status_code == 200
    assert "Someone else saved this story" in error_text(response)
    story = reload(story)
    assert story.headline == "First editor's headline"
    assert story.version == 2


# --- Sources pasted by URL, cited by key points ----------------------------------------------


def test_pasting_a_known_article_url_reuses_the_article(editor_client):
    article = ArticleFactory()
    story = StoryFactory()
    data = story_form(editor_client, story)
    add_inline(data, "sources", url=article.url, position="1")

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, error_text(response)
    assert Article.objects.count() == 1
    assert story.sources.get().article == article


def test_new_url_with_title_and_outlet_creates_the_article(editor_client):
    outlet = OutletFactory()
    story = StoryFactory()
    data = story_form(editor_client, story)
    add_inline(
        data, "sources", url="https://example.com/new", title="New article", outlet=outlet.pk
    )

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, error_text(response)
    article = story.sources.get().article
    assert (article.url, article.title, article.outlet) == (
        "https://example.com/new",
        "New article",
        outlet,
    )


def test_new_url_without_title_is_refused(editor_client):
    outlet = OutletFactory()
    story = StoryFactory()
    data = story_form(editor_client, story)
    add_inline(data, "sources", url="https://example.com/new", outlet=outlet.pk)

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 200
    assert "A new article needs its title." in error_text(response)
    assert not Article.objects.exists()
    assert not story.sources.exists()


def test_removing_a_cited_source_is_refused_naming_the_key_point(editor_client, cited_story):
    first = cited_story.sources_by_position[0]
    data = story_form(editor_client, cited_story)
    data[f"sources-{inline_index(data, 'sources', 'id', first.pk)}-DELETE"] = "on"

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 200
    assert "Both sides agree" in error_text(response)
    assert Source.objects.filter(pk=first.pk).exists()
    assert first.citation_links.exists()


def test_removing_a_source_a_timeline_entry_cites_is_refused_naming_the_entry(
    editor_client, cited_story
):
    second = cited_story.sources_by_position[1]
    cited_story.timeline = TimelineFactory()
    cited_story.save()
    EntryCitationFactory(
        entry__timeline=cited_story.timeline,
        entry__date=datetime.date(2025, 12, 11),
        article=second.article,
    )
    data = story_form(editor_client, cited_story)
    data[f"sources-{inline_index(data, 'sources', 'id', second.pk)}-DELETE"] = "on"

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 200
    assert "timeline entry “Dec 11, 2025”" in error_text(response)
    assert Source.objects.filter(pk=second.pk).exists()


def test_removing_an_uncited_source_works(editor_client, cited_story):
    second = cited_story.sources_by_position[1]
    data = story_form(editor_client, cited_story)
    data[f"sources-{inline_index(data, 'sources', 'id', second.pk)}-DELETE"] = "on"

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 302, error_text(response)
    assert list(cited_story.sources.all()) == [cited_story.sources_by_position[0]]
    assert Article.objects.filter(pk=second.article_id).exists()


def test_key_point_citations_are_picked_from_the_story_sources(editor_client, cited_story):
    SourceFactory()  # another story's source, never offered
    response = editor_client.get(change_url(cited_story))

    (key_points,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "key_points"
    ]
    field = key_points.formset.forms[0].fields["citations"]
    first, second = cited_story.sources_by_position
    assert [value for value, _ in field.choices] == [str(first.pk), str(second.pk)]
    assert [label[:4] for _, label in field.choices] == ["[1] ", "[2] "]
    assert form_data(response)["key_points-0-citations"] == str(first.pk)


def test_change_page_shows_citation_numbers(editor_client, cited_story, parse_html):
    second = cited_story.sources_by_position[1]
    KeyPointCitationFactory(key_point__story=cited_story, key_point__position=2, source=second)

    response = editor_client.get(change_url(cited_story))

    page = parse_html(response)
    cites = [element.text for element in rendered_forms(page, "div", class_="field-cites")]
    assert [text.split()[-1] for text in cites] == ["[1]", "[2]"]
    numbers = [element.text for element in rendered_forms(page, "td", class_="field-number")]
    assert numbers == ["[1]", "[2]"]


def test_change_page_flags_a_key_point_without_citation(editor_client, cited_story):
    KeyPointFactory(story=cited_story, position=2, heading="Nobody said so")

    response = editor_client.get(change_url(cited_story))

    assert response.status_code == 200
    assert "⚠ No citation" in response.text


def test_saving_with_an_uncited_key_point_warns_naming_it(editor_client, cited_story):
    data = story_form(editor_client, cited_story)
    add_inline(data, "key_points", heading="Nobody said so", body="Unsourced claim.")

    response = editor_client.post(change_url(cited_story), data, follow=True)

    assert response.status_code == 200
    assert any(
        "cite no source" in text and "“Nobody said so”" in text for text in message_texts(response)
    )


def test_key_point_cannot_cite_another_story_source(editor_client, cited_story):
    foreign = SourceFactory()
    data = story_form(editor_client, cited_story)
    data["key_points-0-citations"] = [str(foreign.pk)]

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 200
    assert "key_points-citations: Select a valid choice." in error_text(response)
    assert not KeyPointCitation.objects.filter(source=foreign).exists()


def test_new_key_point_can_cite_a_story_source(editor_client, cited_story):
    second = cited_story.sources_by_position[1]
    data = story_form(editor_client, cited_story)
    add_inline(
        data, "key_points", heading="Monitors arrive", body="They arrived.", citations=[second.pk]
    )

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 302, error_text(response)
    point = cited_story.key_points.get(heading="Monitors arrive")
    assert list(point.citations.all()) == [second]


# --- Reordering -----------------------------------------------------------------------------


def test_swapping_two_sources_renumbers_the_citations(
    editor_client, client, cited_story, parse_html
):
    assert cited_numbers(parse_html(public_page(client, cited_story)), 1) == ["[1]"]
    data = story_form(editor_client, cited_story)
    first, second = cited_story.sources_by_position
    data[f"sources-{inline_index(data, 'sources', 'id', first.pk)}-position"] = "2"
    data[f"sources-{inline_index(data, 'sources', 'id', second.pk)}-position"] = "1"

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 302, error_text(response)
    assert list(cited_story.sources.all()) == [second, first]
    assert cited_numbers(parse_html(public_page(client, cited_story)), 1) == ["[2]"]


def test_moving_sources_to_free_positions_renumbers_the_citations(
    editor_client, client, cited_story, parse_html
):
    """Moving items to positions no item holds yet saves too."""
    data = story_form(editor_client, cited_story)
    first, second = cited_story.sources_by_position
    data[f"sources-{inline_index(data, 'sources', 'id', first.pk)}-position"] = "4"
    data[f"sources-{inline_index(data, 'sources', 'id', second.pk)}-position"] = "3"

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 302, error_text(response)
    assert list(cited_story.sources.all()) == [second, first]
    assert cited_numbers(parse_html(public_page(client, cited_story)), 1) == ["[2]"]


def test_swapping_two_key_points_saves(editor_client, cited_story):
    other = KeyPointCitationFactory(
        key_point__story=cited_story,
        key_point__position=2,
        key_point__heading="Second point",
        source=cited_story.sources_by_position[1],
    ).key_point
    data = story_form(editor_client, cited_story)
    data[f"key_points-{inline_index(data, 'key_points', 'id', other.pk)}-position"] = "1"
    first = cited_story.key_points.get(position=1)
    data[f"key_points-{inline_index(data, 'key_points', 'id', first.pk)}-position"] = "2"

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 302, error_text(response)
    assert [point.heading for point in cited_story.key_points.all()] == [
        "Second point",
        "Both sides agree",
    ]


# --- History: revisions, compare, revert, recover ----------------------------------------------


def test_history_lists_each_admin_save_with_its_user(editor_client, editor):
    story = StoryFactory()
    editor_client.post(change_url(story), story_form(editor_client, story, headline="First"))
    editor_client.post(change_url(story), story_form(editor_client, story, headline="Second"))

    response = editor_client.get(history_url(story))

    assert response.status_code == 200
    actions = response.context["action_list"]
    assert len(actions) == 2
    assert all(entry["revision"].user == editor for entry in actions)
    assert response.text.count(editor.username) >= 2


def test_compare_view_shows_the_headline_diff(editor_client):
    story = StoryFactory()
    editor_client.post(change_url(story), story_form(editor_client, story, headline="Talks stall"))
    editor_client.post(
        change_url(story), story_form(editor_client, story, headline="Talks resume")
    )
    older, newer = revisions_of(story).order_by("pk")

    response = editor_client.get(
        reverse("admin:stories_story_compare", args=[story.pk]),
        {"version_id1": older.pk, "version_id2": newer.pk},
    )

    assert response.status_code == 200
    assert "Talks <del>stall</del><ins>resume</ins>" in response.text  # tests/test_history_diff.py


def test_reverting_restores_the_headline_and_key_points(editor_client, cited_story):
    data = story_form(editor_client, cited_story, headline="Version one")
    assert editor_client.post(change_url(cited_story), data).status_code == 302
    data = story_form(editor_client, cited_story, headline="Version two")
    data["key_points-0-heading"] = "Rewritten point"
    add_inline(data, "key_points", heading="Added point", body="Added.")
    assert editor_client.post(change_url(cited_story), data).status_code == 302
    first_version = revisions_of(cited_story).order_by("pk").first()
    revision_url = reverse("admin:stories_story_revision", args=[cited_story.pk, first_version.pk])

    response = editor_client.post(revision_url, form_data(editor_client.get(revision_url)))

    assert response.status_code == 302, error_text(response)
    story = reload(cited_story)
    assert story.headline == "Version one"
    assert [point.heading for point in story.key_points.all()] == ["Both sides agree"]
    assert list(story.key_points.get().citations.all()) == [cited_story.sources_by_position[0]]


def test_reverting_to_before_a_reorder_puts_the_items_back_in_order(editor_client, cited_story):
    """Reversion writes the items one by one: the first would take a place another item
    still holds, which one position per item refuses, unless they are moved aside first."""
    KeyPointFactory(story=cited_story, position=2, heading="Second point")
    saved = editor_client.post(change_url(cited_story), story_form(editor_client, cited_story))
    assert saved.status_code == 302
    data = story_form(editor_client, cited_story)
    data["key_points-0-position"], data["key_points-1-position"] = "2", "1"
    assert editor_client.post(change_url(cited_story), data).status_code == 302
    assert [p.heading for p in cited_story.key_points.all()] == [
        "Second point",
        "Both sides agree",
    ]
    before = revisions_of(cited_story).order_by("pk").first()
    revision_url = reverse("admin:stories_story_revision", args=[cited_story.pk, before.pk])

    page = editor_client.get(revision_url)
    assert page.status_code == 200
    response = editor_client.post(revision_url, form_data(page))

    assert response.status_code == 302, error_text(response)
    assert [p.heading for p in cited_story.key_points.all()] == [
        "Both sides agree",
        "Second point",
    ]


def test_form_opened_before_a_revert_cannot_overwrite_it(editor_client, cited_story):
    data = story_form(editor_client, cited_story, headline="Version one")
    assert editor_client.post(change_url(cited_story), data).status_code == 302
    data = story_form(editor_client, cited_story, headline="Version two")
    assert editor_client.post(change_url(cited_story), data).status_code == 302
    stale = story_form(editor_client, cited_story, headline="Edit of version two")
    first_version = revisions_of(cited_story).order_by("pk").first()
    revision_url = reverse("admin:stories_story_revision", args=[cited_story.pk, first_version.pk])
    reverted = editor_client.post(revision_url, form_data(editor_client.get(revision_url)))
    assert reverted.status_code == 302, error_text(reverted)

    response = editor_client.post(change_url(cited_story), stale)

    assert response.status_code == 200
    assert "Someone else saved this story" in error_text(response)
    assert reload(cited_story).headline == "Version one"


def test_deleted_story_is_recovered_with_sources_and_key_points(editor_client, cited_story):
    saved = editor_client.post(change_url(cited_story), story_form(editor_client, cited_story))
    assert saved.status_code == 302  # the revision the recovery restores
    assert editor_client.post(delete_url(cited_story), {"post": "yes"}).status_code == 302
    assert not Story.objects.filter(pk=cited_story.pk).exists()

    recover_list = editor_client.get(reverse("admin:stories_story_recoverlist"))
    assert recover_list.status_code == 200
    assert "Ceasefire holds" in recover_list.text
    (version,) = recover_list.context["deleted"]
    recover_url = reverse("admin:stories_story_recover", args=[version.pk])
    response = editor_client.post(recover_url, form_data(editor_client.get(recover_url)))

    assert response.status_code == 302, error_text(response)
    story = reload(cited_story)
    assert story.headline == "Ceasefire holds"
    assert [source.article.title for source in story.sources.all()] == [
        "First article",
        "Second article",
    ]
    point = story.key_points.get()
    assert point.heading == "Both sides agree"
    assert list(point.citations.all()) == [cited_story.sources_by_position[0]]


def test_opening_story_forms_keeps_the_public_page_cache(editor_client, cited_story):
    version = ContentVersion.current().version

    editor_client.get(change_url(cited_story))
    editor_client.get(add_url())

    assert ContentVersion.current().version == version


# --- Preview ----------------------------------------------------------------------------------


def test_preview_shows_unsaved_changes_and_saves_nothing(editor_client, cited_story):
    data = story_form(editor_client, cited_story, headline="Unsaved headline", _preview="Preview")
    version = ContentVersion.current().version

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 200
    assert "Unsaved headline" in response.text
    assert "Preview — unsaved changes" in response.text
    assert "no-store" in response["Cache-Control"]
    story = reload(cited_story)
    assert story.headline == "Ceasefire holds"
    assert story.version == cited_story.version
    assert ContentVersion.current().version == version


def test_preview_records_no_revision(editor_client, cited_story):
    data = story_form(editor_client, cited_story, headline="Unsaved headline", _preview="Preview")

    editor_client.post(change_url(cited_story), data)

    assert not Revision.objects.exists()


# --- Lists --------------------------------------------------------------------------------------


def test_changelist_shows_status_feeds_and_counts(editor_client, cited_story):
    feed = FeedFactory(name="Latin America")
    cited_story.feeds.add(feed)
    KeyPointFactory(story=cited_story, position=2)
    StoryFactory(headline="Scheduled one", status="published", published_at=hours_from_now(1))

    response = editor_client.get(changelist_url())

    assert response.status_code == 200
    rows = {story.headline: story for story in response.context["cl"].result_list}
    listed = rows["Ceasefire holds"]
    assert (listed.sources_total, listed.key_points_total, listed.uncited_total) == (2, 2, 1)
    model_admin = response.context["cl"].model_admin
    assert model_admin.status_label(listed) == "Published"
    assert model_admin.status_label(rows["Scheduled one"]) == "Scheduled"
    assert model_admin.feed_names(listed) == "Latin America"
    assert "Latin America" in response.text
    assert "Scheduled" in response.text


@pytest.mark.parametrize("status", ["draft", "review", "published", "archived"])
def test_changelist_filters_by_status(editor_client, status):
    for each in Story.Status:
        StoryFactory(
            headline=f"A {each.label} story", status=each, published_at=hours_from_now(-1)
        )

    response = editor_client.get(changelist_url(), {"status__exact": status})

    headlines = [story.headline for story in response.context["cl"].result_list]
    assert headlines == [f"A {Story.Status(status).label} story"]


def test_changelist_filters_by_feed(editor_client):
    feed = FeedFactory()
    StoryFactory(headline="In the feed", feeds=[feed])
    StoryFactory(headline="Elsewhere", feeds=[FeedFactory()])

    response = editor_client.get(changelist_url(), {"feeds__id__exact": feed.pk})

    assert [story.headline for story in response.context["cl"].result_list] == ["In the feed"]


def test_changelist_searches_headlines(editor_client):
    StoryFactory(headline="Havana talks resume")
    StoryFactory(headline="Markets rally")

    response = editor_client.get(changelist_url(), {"q": "havana"})

    assert [story.headline for story in response.context["cl"].result_list] == [
        "Havana talks resume"
    ]


def test_article_changelist_shows_outlet_and_citing_stories(editor_client):
    article = ArticleFactory(title="Ministers meet", outlet__name="Havana Herald")
    SourceFactory(article=article, story__headline="Talks resume")
    SourceFactory(article=article, story__headline="Talks stall")

    response = editor_client.get(reverse("admin:stories_article_changelist"))

    assert response.status_code == 200
    (row,) = response.context["cl"].result_list
    assert row.outlet.name == "Havana Herald"
    citing = response.context["cl"].model_admin.cited_by(row)
    assert sorted(citing.split(", ")) == ["Talks resume", "Talks stall"]
    assert "Havana Herald" in response.text
    assert "Talks resume" in response.text


@pytest.mark.parametrize("stories", [3, 20])
def test_changelist_queries_do_not_grow_with_stories(
    editor_client, django_assert_max_num_queries, stories
):
    feeds = FeedFactory.create_batch(2)
    for _ in range(stories):
        story = StoryFactory(feeds=feeds)
        KeyPointCitationFactory(key_point__story=story)
    editor_client.get(changelist_url())  # warm up: session, permissions, content types

    with django_assert_max_num_queries(16):
        response = editor_client.get(changelist_url())

    assert len(response.context["cl"].result_list) == stories


# --- Hostile Markdown through the admin ----------------------------------------------------------

HOSTILE_BODIES = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="x()">click</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example.com"></iframe>',
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](java\tscript:alert(1))",
    '<p title="</p><script>alert(1)</script>">',
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_key_point_body_is_harmless_on_the_public_page(
    editor_client, client, parse_html, body
):
    story = PublishedStoryFactory()
    data = story_form(editor_client, story)
    add_inline(data, "key_points", heading="Hostile", body=body)
    assert editor_client.post(change_url(story), data).status_code == 302

    response = public_page(client, story)

    # What the browser builds from the body: no active element, handler or script URL.
    point = parse_html(response).find("div", class_="key-point__body")
    elements = list(point.iter())
    assert {element.tag for element in elements} <= {"p", "a", "em", "strong", "code"}
    assert not [name for element in elements for name in element.attrs if name.startswith("on")]
    for link in point.find_all("a"):
        assert link.attrs["href"].startswith(("http://", "https://", "mailto:"))
    # And the markup as sent: the payload may only survive as escaped, visible text.
    (markup,) = re.findall(r'<div class="key-point__body">(.*?)</div>', response.text, re.S)
    assert "<script" not in markup.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", markup, re.I)
    assert not re.search(r"""<[^>]*=\s*["']?\s*(javascript|data|vbscript):""", markup, re.I)


def test_seed_shaped_story_saves_unchanged_through_the_admin(editor_client, client):
    """Posting the page back as rendered changes nothing readers see."""
    # Whole seconds: the admin's time inputs do not carry microseconds.
    story = seed_shaped_story(published_at=hours_from_now(-1).replace(microsecond=0))
    before = public_page(client, story).text

    response = editor_client.post(change_url(story), story_form(editor_client, story))

    assert response.status_code == 302, error_text(response)
    assert KeyPoint.objects.filter(story=story).count() == 5
    assert public_page(client, story).text == before


# --- Nothing typed is hidden: the whole headline, times with their zone ---------------------


def test_the_headline_box_shows_a_whole_300_character_headline(editor_client):
    response = editor_client.get(add_url())

    field = response.context["adminform"].form["headline"]
    html = str(field)
    assert html.startswith("<textarea") and 'maxlength="300"' in html
    widget = field.field.widget
    assert int(widget.attrs["rows"]) * int(widget.attrs["cols"]) >= 300


def test_a_headline_is_kept_on_one_line(editor_client):
    response = editor_client.post(
        add_url(), new_story_form(editor_client, headline="Talks resume\r\n in Havana ")
    )

    assert response.status_code == 302, error_text(response)
    assert Story.objects.get().headline == "Talks resume in Havana"


def test_a_source_publication_time_has_a_date_picker_and_says_its_zone(editor_client, settings):
    settings.TIME_ZONE = "America/Bogota"
    story = StoryFactory()
    SourceFactory(story=story, position=1)

    response = editor_client.get(change_url(story))

    (sources,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "sources"
    ]
    field = sources.formset.forms[0]["published"]
    assert 'class="vDateField' in str(field) and 'class="vTimeField' in str(field)
    assert "America/Bogota" in str(field.help_text)


def test_a_source_publication_time_is_read_in_the_newsrooms_zone(editor_client, settings):
    settings.TIME_ZONE = "America/Bogota"
    story = StoryFactory()
    source = SourceFactory(story=story, position=1)
    data = story_form(editor_client, story)
    index = inline_index(data, "sources", "id", source.pk)
    data[f"sources-{index}-published_0"] = "2025-12-11"
    data[f"sources-{index}-published_1"] = "09:30:00"

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, error_text(response)
    source.article.refresh_from_db()
    assert source.article.published_at == datetime.datetime(
        2025, 12, 11, 14, 30, tzinfo=datetime.UTC
    )


# --- Citing sources added in the same, unsaved form ---------------------------------------


def key_point_choices(response, index=0):
    (key_points,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "key_points"
    ]
    forms = key_points.formset.forms
    form = forms[index] if index is not None else key_points.formset.empty_form
    return form.fields["citations"].choices


def test_a_new_story_cites_the_sources_added_with_it_in_one_save(reporter_client):
    data = new_story_form(reporter_client)
    for n in (1, 2):
        add_inline(
            data,
            "sources",
            url=f"https://news.example.com/{n}",
            title=f"Article {n}",
            new_outlet="Havana Herald",
        )
    add_inline(data, "key_points", heading="Talks resumed", body="They met.", citations=["new-1"])
    add_inline(
        data, "key_points", heading="Both", body="Both said so.", citations=["new-0", "new-1"]
    )

    response = reporter_client.post(add_url(), data)

    assert response.status_code == 302, error_text(response)
    story = Story.objects.get(slug="talks-resume")
    first, second = story.sources.order_by("position")
    assert first.article.title == "Article 1" and second.article.title == "Article 2"
    assert list(story.key_points.get(heading="Talks resumed").citations.all()) == [second]
    assert set(story.key_points.get(heading="Both").citations.all()) == {first, second}


def add_third_source(data):
    """A new source in the story form, unsaved: returns its form's index."""
    return add_inline(
        data,
        "sources",
        url="https://news.example.com/third",
        title="Third article",
        new_outlet="Havana Herald",
    )


def test_an_existing_key_point_cites_a_source_added_in_the_same_save(editor_client, cited_story):
    first, _ = cited_story.sources_by_position
    data = story_form(editor_client, cited_story)
    index = add_third_source(data)
    data["key_points-0-citations"] = [str(first.pk), f"new-{index}"]

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 302, error_text(response)
    third = cited_story.sources.get(article__title="Third article")
    point = cited_story.key_points.get()
    assert set(point.citations.all()) == {first, third}


def test_a_form_that_comes_back_offers_the_new_sources_numbered(editor_client, cited_story):
    data = story_form(editor_client, cited_story)
    index = add_third_source(data)
    data["key_points-0-citations"] = [f"new-{index}"]
    data["headline"] = ""  # an error elsewhere: the form comes back

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 200
    choices = key_point_choices(response)
    assert choices[-1] == (f"new-{index}", "[3] New: Third article")
    assert f'value="new-{index}" id="id_key_points-0-citations_2" checked' in response.text


@pytest.mark.parametrize("cited", ["new-7", "new-x", "new-"])
def test_citing_a_new_source_that_is_not_in_the_form_is_refused(editor_client, cited_story, cited):
    data = story_form(editor_client, cited_story)
    data["key_points-0-citations"] = [cited]

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 200
    assert "key_points-citations: Select a valid choice." in error_text(response)


def test_citing_a_source_removed_in_the_same_save_is_refused(editor_client, cited_story):
    first, second = cited_story.sources_by_position
    data = story_form(editor_client, cited_story)
    index = inline_index(data, "sources", "id", second.pk)
    data[f"sources-{index}-DELETE"] = "on"
    data["key_points-0-citations"] = [str(first.pk), str(second.pk)]

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 200
    assert "this save removes" in error_text(response)
    assert cited_story.sources.filter(pk=second.pk).exists()


# --- Sources by URL: a known outlet is recognised by its site -----------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.bbc.com/news/world-123", "BBC"),
        ("https://bbc.com/news/world-123", "BBC"),
        ("http://WWW.BBC.COM/mundo", "BBC"),
        ("https://news.bbc.com/a", "BBC"),
        ("https://elpais.com/america/1.html", "El País"),
        ("https://notbbc.com/news", None),
        ("https://www.bbc.com.evil.example/a", None),
        ("https://unknown.example/a", None),
    ],
)
def test_an_outlet_is_known_by_its_site(db, url, expected):
    OutletFactory(name="BBC", website="https://www.bbc.com/")
    OutletFactory(name="El País", website="https://elpais.com")
    OutletFactory(name="No site", website="")

    found = Outlet.objects.for_address(url)

    assert (found.name if found else None) == expected


def test_a_new_article_on_a_known_outlets_site_is_that_outlets(editor_client, cited_story):
    OutletFactory(name="BBC", website="https://www.bbc.com/")
    data = story_form(editor_client, cited_story)
    add_inline(data, "sources", url="https://www.bbc.com/news/x", title="A BBC report")

    response = editor_client.post(change_url(cited_story), data)

    assert response.status_code == 302, error_text(response)
    source = cited_story.sources.get(article__title="A BBC report")
    assert source.article.outlet.name == "BBC"


def test_the_outlet_box_knows_each_outlets_site(editor_client, cited_story):
    OutletFactory(name="BBC", website="https://www.bbc.com/")

    response = editor_client.get(change_url(cited_story))

    assert 'data-site="bbc.com">BBC</option>' in response.text


# --- Nothing typed is lost: an uploaded hero image survives a form with errors -----------------


def hero_upload(name="havana.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_an_uploaded_hero_image_survives_a_form_that_comes_back(editor_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = new_story_form(editor_client, headline="")  # an error elsewhere in the form
    data.update({"hero_image-0-image": hero_upload(), "hero_image-0-alt_text": "A red rectangle."})

    refused = editor_client.post(add_url(), data)

    assert refused.status_code == 200
    kept = form_data(refused)["hero_image-0-kept_image"]
    assert kept
    assert "havana.png" in refused.text  # the editor is told it is kept

    again = form_data(refused)
    again.update(headline="Talks resume in Havana")
    response = editor_client.post(add_url(), again)  # no file chosen this time

    assert response.status_code == 302, error_text(response)
    image = Story.objects.get(slug="talks-resume").hero_image.image
    assert image.name.endswith(".png") and "havana" in image.name
    assert (tmp_path / image.name).is_file()


def test_a_forged_kept_image_is_ignored(editor_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "secret.png").write_bytes(b"not for you")
    data = new_story_form(editor_client)
    data.update(
        {
            "hero_image-0-kept_image": "secret.png",
            "hero_image-0-alt_text": "Nothing.",
            "hero_image-0-image_url": "https://example.org/a.jpg",
        }
    )

    response = editor_client.post(add_url(), data)

    assert response.status_code == 302, error_text(response)
    assert not Story.objects.get(slug="talks-resume").hero_image.image
