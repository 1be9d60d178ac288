"""History's compare view reads like a newsroom's: two revisions of what editors wrote, in
reading order, with the words that changed marked, and none of the stored pages.

Each revision is restored inside a transaction that is rolled back (newsroom.revisions), so
the diff reads rows as the site's own dumper does, and nothing of the restore is kept.
"""

import datetime

import pytest
import reversion
from django.urls import reverse
from django.utils import formats, timezone
from reversion.models import Revision, Version

from stories.models import (
    Article,
    ContentVersion,
    HeroImage,
    KeyPoint,
    KeyPointCitation,
    Listing,
    Source,
    Story,
    StoryNote,
)
from tests.admin_helpers import error_text, form_data
from tests.factories import (
    KeyPointFactory,
    SourceFactory,
    StoryNoteFactory,
    TimelineEntryFactory,
    TimelineFactory,
    seed_shaped_story,
)
from timelines.models import EntryCitation, Timeline, TimelineEntry

pytestmark = pytest.mark.django_db


def kept(row):
    """Keep `row` as it is now in History, with what it brings along; its new version."""
    with reversion.create_revision():
        reversion.add_to_revision(row)
    return Version.objects.get_for_object(row).first()


def compare(client, row, older, newer):
    opts = row._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_compare", args=[row.pk])
    return client.get(url, {"version_id1": older.pk, "version_id2": newer.pk})


def sections(page):
    """The compare page's sections of changes: {heading: section}, in the page's order."""
    found = page.find_all("section", class_="history-diff__section")
    return {section.find("h2").text: section for section in found}


def items(section, state):
    """The items of a list section that were `state` (added, removed, changed)."""
    return section.find_all(class_=f"history-diff__item--{state}")


@pytest.fixture
def story(db):
    return seed_shaped_story(headline="Talks resume in Havana")


# --- A story's revisions ------------------------------------------------------------------------


def test_a_headline_change_is_shown_word_by_word(admin_client, story):
    older = kept(story)
    story.headline = "Talks collapse in Havana"
    story.save()
    newer = kept(story)

    response = compare(admin_client, story, older, newer)

    assert response.status_code == 200
    assert "Talks <del>resume</del><ins>collapse</ins> in Havana" in response.text


def test_changes_are_shown_in_reading_order(admin_client, story, parse_html):
    older = kept(story)
    Source.objects.filter(story=story, position=1).update(position=99)  # the first, last
    KeyPoint.objects.filter(story=story, position=2).update(heading="A heading written later")
    story.headline = "Talks collapse in Havana"
    story.save()
    newer = kept(story)

    page = parse_html(compare(admin_client, story, older, newer))

    assert list(sections(page)) == ["Headline", "Key points", "Sources"]


def test_the_stored_pages_are_never_shown(admin_client, story):
    older = kept(story)
    point = story.key_points.order_by("position").first()
    point.body = "What happened, with *a new emphasis*."
    point.save()
    story.summary = "A summary written later."
    story.save()
    newer = kept(story)
    story.refresh_from_db()
    assert story.body_html and story.search_text  # there to be left out

    response = compare(admin_client, story, older, newer)

    text = response.text
    assert "*<ins>a new </ins>emphasis*" in text  # the Markdown the editor wrote
    for stored in ("<em>", "&lt;em&gt;", "&lt;p&gt;", "<p>What happened"):
        assert stored not in text
    for name in ("body_html", "Body html", "search_text", "Search text", "card_html", "json_ld"):
        assert name not in text
    assert story.search_text not in text


def test_a_key_point_added_at_the_top_is_one_added_item(admin_client, story, parse_html):
    older = kept(story)
    KeyPointFactory(story=story, position=0, heading="What changed overnight")
    newer = kept(story)

    page = parse_html(compare(admin_client, story, older, newer))

    key_points = sections(page)["Key points"]
    (added,) = items(key_points, "added")
    assert "What changed overnight" in added.text
    assert items(key_points, "changed") == items(key_points, "removed") == []
    assert "5 unchanged" in key_points.text


def test_a_changed_key_point_shows_its_changed_field_only(admin_client, story, parse_html):
    older = kept(story)
    point = story.key_points.order_by("position")[2]
    point.heading = "A heading written later"
    point.save()
    newer = kept(story)

    page = parse_html(compare(admin_client, story, older, newer))

    key_points = sections(page)["Key points"]
    (changed,) = items(key_points, "changed")
    assert "A heading written later" in changed.text
    assert point.body not in changed.text  # unchanged, so counted rather than shown
    assert "4 unchanged" in key_points.text


def test_a_removed_note_and_a_new_source_are_shown_as_such(admin_client, story, parse_html):
    StoryNoteFactory(story=story, kind=StoryNote.Kind.CORRECTION, text="The vote was Sunday.")
    older = kept(story)
    story.notes.all().delete()
    SourceFactory(story=story, position=50, article__title="A later report")
    newer = kept(story)

    page = parse_html(compare(admin_client, story, older, newer))

    found = sections(page)
    (removed,) = items(found["Update notes"], "removed")
    assert "The vote was Sunday." in removed.text
    (added,) = items(found["Sources"], "added")
    assert "A later report" in added.text


def test_hostile_text_in_a_headline_is_shown_escaped(admin_client, story):
    older = kept(story)
    story.headline = "<script>alert(1)</script>"
    story.save()
    newer = kept(story)

    response = compare(admin_client, story, older, newer)

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_fields_that_did_not_change_are_counted_not_shown(admin_client, story, parse_html):
    older = kept(story)
    story.byline = "Ana Ruiz"
    story.save()
    newer = kept(story)

    page = parse_html(compare(admin_client, story, older, newer))

    assert list(sections(page)) == ["Byline"]
    assert "fields unchanged" in page.find(class_="history-diff__unchanged").text


def test_key_points_put_in_another_order_are_compared(admin_client, story, parse_html):
    older = kept(story)
    first, second = story.key_points.order_by("position")[:2]
    KeyPoint.objects.filter(pk=first.pk).update(position=1000)
    KeyPoint.objects.filter(pk=second.pk).update(position=first.position)
    KeyPoint.objects.filter(pk=first.pk).update(position=second.position)
    newer = kept(story)

    response = compare(admin_client, story, older, newer)

    assert "can no longer be restored" not in response.text
    key_points = sections(parse_html(response))["Key points"]
    (removed,), (added,) = items(key_points, "removed"), items(key_points, "added")
    # One of the two, moved: removed from its place, added at the other.
    assert removed.text.removeprefix("Removed") == added.text.removeprefix("Added")
    assert "4 unchanged" in key_points.text


# --- A timeline's revisions ---------------------------------------------------------------------


def test_a_timeline_diff_shows_entry_dates_as_written(admin_client, parse_html):
    timeline = TimelineFactory(title="Talks, year by year")
    TimelineEntryFactory(timeline=timeline, date=datetime.date(2016, 1, 1), precision="year")
    older = kept(timeline)
    TimelineEntryFactory(
        timeline=timeline,
        date=datetime.date(2025, 10, 1),
        precision=TimelineEntry.Precision.MONTH,
        text="Talks stall.",
        position=0,  # listed first, read in date order
    )
    newer = kept(timeline)

    page = parse_html(compare(admin_client, timeline, older, newer))

    entries = sections(page)["Timeline entries"]
    (added,) = items(entries, "added")
    assert "Oct 2025" in added.text and "Talks stall." in added.text
    assert "2025-10-01" not in added.text
    assert "1 unchanged" in entries.text


def test_an_entry_lists_the_articles_it_cites(admin_client, parse_html):
    entry = TimelineEntryFactory(timeline=TimelineFactory())
    older = kept(entry.timeline)
    article = SourceFactory(article__title="Talks begin").article
    EntryCitation.objects.create(entry=entry, article=article)
    newer = kept(entry.timeline)

    page = parse_html(compare(admin_client, entry.timeline, older, newer))

    (changed,) = items(sections(page)["Timeline entries"], "changed")
    assert f"{article.outlet.name}: Talks begin" in changed.text


# --- Other rows an editor writes ----------------------------------------------------------------


def test_an_article_diff_shows_its_editable_fields(admin_client, parse_html):
    article = SourceFactory(article__title="Talks begin").article
    older = kept(article)
    article.title = "Talks begin again"
    article.save()
    newer = kept(article)

    page = parse_html(compare(admin_client, article, older, newer))

    assert list(sections(page)) == ["Title"]
    assert "version" not in page.find(id="content-main").text.lower().split()


# --- Revisions that can no longer be restored ---------------------------------------------------


def test_a_revision_that_cannot_be_restored_says_so(admin_client, story):
    older = kept(story)
    story.headline = "Talks collapse in Havana"
    story.save()
    newer = kept(story)
    # As a revision kept before a change to what History stores may read.
    Version.objects.filter(pk=older.pk).update(serialized_data="not what reversion wrote")

    response = compare(admin_client, story, older, newer)

    assert response.status_code == 200
    assert "can no longer be restored" in response.text
    assert "<del>" not in response.text


def test_a_revision_citing_an_article_deleted_since_says_so(admin_client, story):
    gone = SourceFactory(story=story, position=50)
    older = kept(story)
    gone.delete()
    gone.article.delete()
    newer = kept(story)

    response = compare(admin_client, story, older, newer)

    assert response.status_code == 200
    assert "can no longer be restored" in response.text


# --- Nothing is written -------------------------------------------------------------------------


def rows():
    """Every row the restore could touch, as it is."""
    models = [
        Story,
        HeroImage,
        Source,
        KeyPoint,
        KeyPointCitation,
        StoryNote,
        Article,
        Listing,
        ContentVersion,
        Timeline,
        TimelineEntry,
        EntryCitation,
        Revision,
        Version,
    ]
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def test_no_write_survives_the_compare_view(admin_client, story):
    older = kept(story)
    story.headline = "Talks collapse in Havana"
    story.save()
    story.feeds.clear()
    StoryNoteFactory(story=story)
    KeyPointFactory(story=story, position=0)
    newer = kept(story)
    client_page = admin_client.get(story.get_absolute_url())  # pages built, state shared
    assert client_page.status_code == 200
    before = rows()

    response = compare(admin_client, story, older, newer)

    assert response.status_code == 200
    assert "<del>resume</del>" in response.text
    assert rows() == before


# --- The History list -------------------------------------------------------------------------


def test_the_history_list_says_who_when_and_the_correction(editor_client, editor, parse_html):
    story = seed_shaped_story(published_at=timezone.now() - datetime.timedelta(hours=5))
    change = reverse("admin:stories_story_change", args=[story.pk])
    data = form_data(editor_client.get(change))
    data.update(_workflow="correction", change_note="The vote was on Sunday, not Monday.")
    response = editor_client.post(change, data)
    assert response.status_code == 302, error_text(response)

    page = parse_html(editor_client.get(reverse("admin:stories_story_history", args=[story.pk])))

    revision = Version.objects.get_for_object(story).first().revision
    when = formats.date_format(timezone.localtime(revision.date_created), "DATETIME_FORMAT")
    (row,) = page.find("table", id="change-history").find("tbody").find_all("tr")
    assert editor.get_username() in row.text
    assert when in row.text
    assert "Correction: “The vote was on Sunday, not Monday.”" in row.text


def test_a_plain_save_says_no_note(editor_client):
    story = seed_shaped_story()
    change = reverse("admin:stories_story_change", args=[story.pk])
    data = form_data(editor_client.get(change))
    data.update(_workflow="save", headline="Talks collapse in Havana")

    assert editor_client.post(change, data).status_code == 302

    comment = Version.objects.get_for_object(story).first().revision.comment
    assert "Correction" not in comment and "Update:" not in comment
