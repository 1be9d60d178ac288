"""A source has one number wherever it is shown with its story: a timeline page numbers its
citations as its story's page does, and says whose numbers they are."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from stories.models import Story
from tests.factories import PublishedStoryFactory, SourceFactory, TimelineFactory
from timelines.models import EntryCitation, Timeline

from .test_views import entry_items

pytestmark = pytest.mark.django_db
SEED = Path(settings.BASE_DIR) / "fixtures" / "us-colombia-trump-petro-talks.yaml"


def entry_numbers(page):
    """Each entry's citation numbers, in reading order."""
    return [[a.text for a in item.find_all("a", class_="cite")] for item in entry_items(page)]


def test_the_seed_timeline_numbers_its_sources_as_the_story_does(client, parse_html):
    call_command("load_stories", str(SEED), verbosity=0)
    story = Story.objects.get()

    on_story = entry_numbers(parse_html(client.get(story.get_absolute_url())))
    timeline_page = parse_html(client.get(story.timeline.get_absolute_url()))

    assert entry_numbers(timeline_page) == on_story
    assert on_story[0] == ["[7]"]  # the 2016 entry: [7] on both pages
    note = timeline_page.find("p", class_="timeline__numbering")
    assert note.find("a").attrs["href"] == story.get_absolute_url()
    # The sources list gives each article the story's number.
    numbers = [
        li.attrs["value"] for li in timeline_page.find("section", id="sources").find_all("li")
    ]
    assert numbers == sorted(numbers, key=int) and "7" in numbers


@pytest.fixture
def shared_timeline(db):
    """A timeline shown by two published stories, each listing the same article at a
    different number; an entry cites it."""
    timeline = TimelineFactory()
    earlier = PublishedStoryFactory(
        headline="First story",
        published_at=timezone.now() - dt.timedelta(days=2),
        timeline=timeline,
    )
    later = PublishedStoryFactory(
        headline="Second story",
        published_at=timezone.now() - dt.timedelta(days=1),
        timeline=earlier.timeline,
    )
    article = SourceFactory(story=earlier, position=1).article
    SourceFactory(story=earlier, position=2)
    SourceFactory(story=later, position=1)
    SourceFactory(story=later, position=2, article=article)
    entry = earlier.timeline.entries.create(date=dt.date(2025, 1, 1), text="It happened.")
    EntryCitation.objects.create(entry=entry, article=article)
    return earlier, later


def test_a_shared_timeline_uses_its_first_published_story_and_says_so(
    client, parse_html, shared_timeline
):
    earlier, _ = shared_timeline

    page = parse_html(client.get(earlier.timeline.get_absolute_url()))

    assert entry_numbers(page) == [["[1]"]]  # as on the first story's page
    assert page.find("p", class_="timeline__numbering").find("a").text == "First story"


def test_when_that_story_is_unpublished_the_next_one_numbers_the_page(
    client, parse_html, shared_timeline
):
    earlier, later = shared_timeline
    client.get(earlier.timeline.get_absolute_url())

    earlier.status = Story.Status.DRAFT
    earlier.save()
    page = parse_html(client.get(later.timeline.get_absolute_url()))

    assert entry_numbers(page) == [["[2]"]]  # as on the second story's page
    assert page.find("p", class_="timeline__numbering").find("a").text == "Second story"
    assert "First story" not in client.get(later.timeline.get_absolute_url()).content.decode()


def test_a_scheduled_story_coming_out_changes_nothing_it_should_not(
    client, parse_html, shared_timeline
):
    """The page follows the stories readers can see now, with no write to tell it."""
    earlier, later = shared_timeline
    Story.objects.filter(pk=earlier.pk).update(published_at=timezone.now() + dt.timedelta(hours=1))
    # The queryset update announced it; the page follows the story readers can see.
    page = parse_html(client.get(later.timeline.get_absolute_url()))
    assert page.find("p", class_="timeline__numbering").find("a").text == "Second story"

    Timeline.objects.filter(pk=later.timeline_id).update(numbered_by=earlier.pk)  # as if stale
    page = parse_html(client.get(later.timeline.get_absolute_url()))
    assert page.find("p", class_="timeline__numbering").find("a").text == "Second story"
