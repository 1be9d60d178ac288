"""Timeline models: database constraints and their messages, citations, the published rule."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError
from django.utils import timezone

from stories.models import Article, Story
from tests.factories import (
    EntryCitationFactory,
    PublishedStoryFactory,
    StoryFactory,
    TimelineEntryFactory,
    TimelineFactory,
)
from timelines.models import EntryCitation, Timeline, TimelineEntry

pytestmark = pytest.mark.django_db

Precision = TimelineEntry.Precision


def validation_errors(instance):
    """What full_clean() reports, by field ("__all__" for the model's constraints)."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


# --- Timelines -------------------------------------------------------------------------------


def test_two_timelines_cannot_share_a_slug():
    TimelineFactory(slug="petro-talks")
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineFactory(slug="petro-talks")


@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
def test_timeline_title_must_not_be_blank(blank):
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineFactory(title=blank)


def test_timeline_title_of_spaces_is_reported_by_full_clean():
    timeline = TimelineFactory()
    timeline.title = "   "
    assert validation_errors(timeline) == {"__all__": ["The title must not be empty."]}


def test_deleting_a_timeline_keeps_the_stories_that_showed_it():
    story = StoryFactory(timeline=TimelineFactory())
    story.timeline.delete()
    story.refresh_from_db()
    assert story.timeline is None


# --- Entries ----------------------------------------------------------------------------------


def test_two_entries_of_a_timeline_cannot_share_a_position():
    entry = TimelineEntryFactory(position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineEntryFactory(timeline=entry.timeline, position=1)


def test_shared_entry_position_is_reported_by_full_clean():
    first = TimelineEntryFactory(position=1)
    second = TimelineEntryFactory(timeline=first.timeline, position=2)
    second.position = 1
    assert validation_errors(second) == {
        "__all__": ["Two entries of this timeline have the same position."]
    }


def test_entries_of_different_timelines_may_share_a_position():
    TimelineEntryFactory(position=1)
    TimelineEntryFactory(position=1)


@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
def test_entry_text_must_not_be_blank(blank):
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineEntryFactory(text=blank)


def test_entry_text_of_spaces_is_reported_by_full_clean():
    entry = TimelineEntryFactory()
    entry.text = "   "
    assert validation_errors(entry) == {"__all__": ["The text must not be empty."]}


@pytest.mark.parametrize(
    "date", [datetime.date(2016, 3, 1), datetime.date(2016, 1, 15)], ids=["march", "jan-15"]
)
def test_year_entry_must_be_dated_january_first(date):
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineEntryFactory(precision=Precision.YEAR, date=date)


def test_year_entry_off_january_first_is_reported_by_full_clean():
    entry = TimelineEntryFactory(precision=Precision.YEAR, date=datetime.date(2016, 1, 1))
    entry.date = datetime.date(2016, 6, 1)
    assert validation_errors(entry) == {
        "__all__": ["A year entry's date must be January 1 of that year."]
    }


def test_year_entry_on_january_first_is_accepted():
    TimelineEntryFactory(precision=Precision.YEAR, date=datetime.date(2016, 1, 1)).full_clean()


def test_month_entry_must_be_dated_the_first_of_the_month():
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineEntryFactory(precision=Precision.MONTH, date=datetime.date(2025, 10, 15))


def test_month_entry_off_the_first_is_reported_by_full_clean():
    entry = TimelineEntryFactory(precision=Precision.MONTH, date=datetime.date(2025, 10, 1))
    entry.date = datetime.date(2025, 10, 15)
    assert validation_errors(entry) == {
        "__all__": ["A month entry's date must be the first of the month."]
    }


def test_month_entry_on_the_first_is_accepted():
    TimelineEntryFactory(precision=Precision.MONTH, date=datetime.date(2025, 10, 1)).full_clean()


@pytest.mark.parametrize("is_future", [False, True])
def test_day_and_future_day_entries_may_fall_on_any_date(is_future):
    TimelineEntryFactory(
        precision=Precision.DAY, is_future=is_future, date=datetime.date(2025, 12, 11)
    ).full_clean()


def test_entry_text_is_stored_as_sanitized_html():
    entry = TimelineEntryFactory(text="Talks **resume** <script>alert(1)</script>")
    assert entry.text_html.startswith("<p>Talks <strong>resume</strong>")
    assert "<script>" not in entry.text_html


@pytest.mark.parametrize(
    ("precision", "is_future", "date", "label"),
    [
        (Precision.YEAR, False, datetime.date(2016, 1, 1), "2016"),
        (Precision.MONTH, False, datetime.date(2025, 10, 1), "Oct 2025"),
        (Precision.DAY, False, datetime.date(2025, 12, 11), "Dec 11, 2025"),
        (Precision.DAY, True, datetime.date(2026, 2, 3), "Future (post-Feb 3, 2026)"),
        (Precision.MONTH, True, datetime.date(2027, 6, 1), "Future (post-Jun 2027)"),
        (Precision.YEAR, True, datetime.date(2030, 1, 1), "Future (post-2030)"),
    ],
    ids=["year", "month", "day", "future day", "future month", "future year"],
)
def test_date_label_shows_the_date_at_its_precision(precision, is_future, date, label):
    entry = TimelineEntryFactory.build(precision=precision, is_future=is_future, date=date)
    assert entry.date_label == label


# --- Entry citations ---------------------------------------------------------------------------


def test_an_entry_cannot_cite_the_same_article_twice():
    citation = EntryCitationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryCitationFactory(entry=citation.entry, article=citation.article)


def test_repeated_entry_citation_is_reported_by_full_clean():
    citation = EntryCitationFactory()
    again = EntryCitationFactory.build(entry=citation.entry, article=citation.article)
    assert validation_errors(again) == {"__all__": ["The entry already cites this article."]}


def test_an_article_cited_by_an_entry_cannot_be_deleted():
    citation = EntryCitationFactory()
    with pytest.raises(RestrictedError), transaction.atomic():
        citation.article.delete()
    assert Article.objects.filter(pk=citation.article.pk).exists()


def test_deleting_an_entry_deletes_its_citations_but_keeps_the_articles():
    citation = EntryCitationFactory()
    citation.entry.delete()
    assert not EntryCitation.objects.exists()
    assert Article.objects.filter(pk=citation.article.pk).exists()


# --- The published rule ------------------------------------------------------------------------


def test_published_includes_a_timeline_shown_by_a_published_story():
    timeline = PublishedStoryFactory(timeline=TimelineFactory()).timeline
    assert list(Timeline.objects.published()) == [timeline]


def test_published_lists_a_timeline_once_however_many_stories_show_it():
    timeline = TimelineFactory()
    PublishedStoryFactory.create_batch(2, timeline=timeline)
    assert list(Timeline.objects.published()) == [timeline]


def test_published_excludes_a_timeline_no_story_shows():
    TimelineFactory()
    assert not Timeline.objects.published().exists()


@pytest.mark.parametrize(
    "status", [Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.ARCHIVED]
)
def test_published_excludes_a_timeline_shown_only_by_unpublished_stories(status):
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    StoryFactory(timeline=TimelineFactory(), status=status, published_at=an_hour_ago)
    assert not Timeline.objects.published().exists()


def test_published_excludes_a_timeline_shown_only_by_a_scheduled_story():
    in_an_hour = timezone.now() + datetime.timedelta(hours=1)
    PublishedStoryFactory(timeline=TimelineFactory(), published_at=in_an_hour)
    assert not Timeline.objects.published().exists()


# --- Names and factories -----------------------------------------------------------------------


def test_timeline_str_is_its_title():
    assert str(TimelineFactory(title="US-Colombia talks")) == "US-Colombia talks"


def test_entry_str_gives_date_label_and_start_of_text():
    entry = TimelineEntryFactory(
        precision=Precision.MONTH, date=datetime.date(2025, 10, 1), text="y" * 100
    )
    assert str(entry) == "Oct 2025: " + "y" * 60


def test_entry_citation_str_links_entry_and_article():
    citation = EntryCitationFactory(
        entry__precision=Precision.YEAR,
        entry__date=datetime.date(2016, 1, 1),
        entry__text="Peace deal signed",
        article__outlet__name="BBC",
        article__title="A deal at last",
    )
    assert str(citation) == "2016: Peace deal signed → BBC: A deal at last"


@pytest.mark.parametrize("factory", [TimelineFactory, TimelineEntryFactory, EntryCitationFactory])
def test_factory_builds_a_row_that_passes_full_clean(factory):
    factory().full_clean()


def test_each_seed_entry_cites_one_or_two_of_its_story_sources(story):
    source_articles = set(story.sources.values_list("article", flat=True))
    for entry in story.timeline.entries.all():
        cited = set(entry.citations.values_list("pk", flat=True))
        assert 1 <= len(cited) <= 2
        assert cited <= source_articles


def test_seed_timeline_mixes_every_precision(story):
    precisions = set(story.timeline.entries.values_list("precision", flat=True))
    assert precisions == set(Precision.values)
