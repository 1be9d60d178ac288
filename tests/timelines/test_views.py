"""The public timeline page: entries in date order, their citations, the stories that show it,
who may see it, conditional GET and query counts."""

import datetime

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stories.models import ContentVersion, Story
from tests.factories import (
    ArticleFactory,
    EntryCitationFactory,
    PublishedStoryFactory,
    StoryFactory,
    TimelineEntryFactory,
    TimelineFactory,
)
from timelines.models import Timeline, TimelineEntry

pytestmark = pytest.mark.django_db

Precision = TimelineEntry.Precision


def timeline_url(timeline):
    return reverse("timelines:timeline", kwargs={"slug": timeline.slug})


def entry_items(page):
    return page.find("ol", class_="timeline__entries").find_all("li")


def citation_numbers(item):
    return [a.text for a in item.find_all("a", class_="cite")]


@pytest.fixture
def timeline(db):
    """A timeline shown by one published story."""
    timeline = TimelineFactory(title="Road to the talks")
    PublishedStoryFactory(timeline=timeline, headline="Talks resume")
    return timeline


# --- Entries ---------------------------------------------------------------------------------


def test_timeline_page_is_titled_with_the_timeline(client, parse_html, timeline):
    page = parse_html(client.get(timeline_url(timeline)))

    assert [h1.text for h1 in page.find_all("h1")] == ["Road to the talks"]


def test_entries_are_in_date_order_whatever_their_position(client, parse_html, timeline):
    TimelineEntryFactory(timeline=timeline, position=1, date=datetime.date(2025, 12, 11))
    TimelineEntryFactory(
        timeline=timeline, position=2, date=datetime.date(2016, 1, 1), precision=Precision.YEAR
    )
    TimelineEntryFactory(
        timeline=timeline, position=3, date=datetime.date(2025, 10, 1), precision=Precision.MONTH
    )

    page = parse_html(client.get(timeline_url(timeline)))

    dates = [item.find("time").attrs["datetime"] for item in entry_items(page)]
    assert dates == ["2016", "2025-10", "2025-12-11"]  # each to its precision


def test_entries_on_the_same_date_keep_their_position_order(client, parse_html, timeline):
    TimelineEntryFactory(timeline=timeline, position=2, text="Second that day.")
    TimelineEntryFactory(timeline=timeline, position=1, text="First that day.")

    page = parse_html(client.get(timeline_url(timeline)))

    texts = [item.find("div", class_="timeline__text").text for item in entry_items(page)]
    assert texts == ["First that day.", "Second that day."]


@pytest.mark.parametrize(
    ("date", "precision", "is_future", "label", "machine"),
    [
        (datetime.date(2016, 1, 1), Precision.YEAR, False, "2016", "2016"),
        (datetime.date(2025, 10, 1), Precision.MONTH, False, "Oct 2025", "2025-10"),
        (datetime.date(2025, 12, 11), Precision.DAY, False, "Dec 11, 2025", "2025-12-11"),
        (
            datetime.date(2026, 2, 3),
            Precision.DAY,
            True,
            "Future (post-Feb 3, 2026)",
            "2026-02-03",
        ),
        (datetime.date(2027, 6, 1), Precision.MONTH, True, "Future (post-Jun 2027)", "2027-06"),
    ],
    ids=["year", "month", "day", "future day", "future month"],
)
def test_entry_date_is_labelled_to_its_precision(
    client, parse_html, timeline, date, precision, is_future, label, machine
):
    TimelineEntryFactory(timeline=timeline, date=date, precision=precision, is_future=is_future)

    page = parse_html(client.get(timeline_url(timeline)))

    (item,) = entry_items(page)
    assert item.find("time").text == label
    assert item.find("time").attrs["datetime"] == machine


def test_seed_timeline_labels_every_entry_in_date_order(client, parse_html, story):
    page = parse_html(client.get(timeline_url(story.timeline)))

    assert [item.find("time").text for item in entry_items(page)] == [
        "2016",
        "2018",
        "2022",
        "Aug 2022",
        "Jun 2024",
        "Oct 2025",
        "Oct 19, 2025",
        "Oct 22, 2025",
        "Nov 4, 2025",
        "Dec 11, 2025",
        "Jan 5, 2026",
        "Future (post-Feb 3, 2026)",
    ]


def test_entry_text_is_rendered_markdown(client, parse_html, timeline):
    TimelineEntryFactory(timeline=timeline, text="Talks **collapsed**.")

    page = parse_html(client.get(timeline_url(timeline)))

    (item,) = entry_items(page)
    assert item.find("strong").text == "collapsed"


def test_entry_text_cannot_inject_markup(client, parse_html, timeline):
    TimelineEntryFactory(timeline=timeline, text="<script>alert(1)</script><img src=x onerror=1>")

    response = client.get(timeline_url(timeline))

    assert b"<script>alert" not in response.content
    assert not [el for el in parse_html(response).iter() if "onerror" in el.attrs]


# --- Citations ---------------------------------------------------------------------------------


def test_entry_citations_link_to_numbered_sources_with_article_links(client, parse_html, timeline):
    first, second = ArticleFactory.create_batch(2)
    entry = TimelineEntryFactory(timeline=timeline)
    EntryCitationFactory(entry=entry, article=first)
    EntryCitationFactory(entry=entry, article=second)

    page = parse_html(client.get(timeline_url(timeline)))

    (item,) = entry_items(page)
    links = item.find_all("a", class_="cite")
    assert [(a.text, a.attrs["href"]) for a in links] == [
        ("[1]", "#source-1"),
        ("[2]", "#source-2"),
    ]
    assert page.find("li", id="source-1").find("a").attrs["href"] == first.url
    assert page.find("li", id="source-2").find("a").attrs["href"] == second.url


def test_sources_are_numbered_in_order_of_first_citation(client, parse_html, timeline):
    later, earlier = ArticleFactory.create_batch(2)
    EntryCitationFactory(
        entry=TimelineEntryFactory(timeline=timeline, date=datetime.date(2025, 12, 11)),
        article=later,
    )
    EntryCitationFactory(
        entry=TimelineEntryFactory(timeline=timeline, date=datetime.date(2025, 10, 19)),
        article=earlier,
    )

    page = parse_html(client.get(timeline_url(timeline)))

    items = page.find("section", class_="sources").find_all("li")
    assert [item.find("a").attrs["href"] for item in items] == [earlier.url, later.url]


def test_article_cited_twice_keeps_one_number(client, parse_html, timeline):
    article = ArticleFactory()
    for day in (1, 2):
        EntryCitationFactory(
            entry=TimelineEntryFactory(timeline=timeline, date=datetime.date(2025, 10, day)),
            article=article,
        )

    page = parse_html(client.get(timeline_url(timeline)))

    assert [citation_numbers(item) for item in entry_items(page)] == [["[1]"], ["[1]"]]
    assert len(page.find("section", class_="sources").find_all("li")) == 1


def test_source_line_names_the_outlet_and_article(client, parse_html, timeline):
    article = ArticleFactory(title="Ministers meet again")
    EntryCitationFactory(entry=TimelineEntryFactory(timeline=timeline), article=article)

    page = parse_html(client.get(timeline_url(timeline)))

    source = page.find("li", id="source-1")
    assert source.find("span", class_="outlet").text == article.outlet.name
    assert source.find("a", class_="article-title").text == "Ministers meet again"


def test_entry_citations_are_listed_in_number_order(client, parse_html, timeline):
    low_id, high_id = ArticleFactory.create_batch(2)
    # The first entry numbers the article with the higher id [1]; the second entry cites both.
    EntryCitationFactory(
        entry=TimelineEntryFactory(timeline=timeline, date=datetime.date(2025, 10, 1)),
        article=high_id,
    )
    second = TimelineEntryFactory(timeline=timeline, date=datetime.date(2025, 10, 2))
    EntryCitationFactory(entry=second, article=low_id)
    EntryCitationFactory(entry=second, article=high_id)

    page = parse_html(client.get(timeline_url(timeline)))

    assert citation_numbers(entry_items(page)[1]) == ["[1]", "[2]"]


def test_timeline_without_citations_has_no_sources_section(client, parse_html, timeline):
    TimelineEntryFactory(timeline=timeline)

    page = parse_html(client.get(timeline_url(timeline)))

    assert not page.find_all("section", class_="sources")


# --- The stories that show it --------------------------------------------------------------


def test_timeline_page_links_to_the_published_stories_that_show_it(client, parse_html, timeline):
    shown_first = timeline.stories.get()
    other = PublishedStoryFactory(timeline=timeline, headline="Ceasefire holds")
    StoryFactory(timeline=timeline, headline="Draft about the talks")

    page = parse_html(client.get(timeline_url(timeline)))

    links = page.find("p", class_="meta").find_all("a")
    assert [(a.text, a.attrs["href"]) for a in links] == [
        ("Ceasefire holds", other.get_absolute_url()),
        ("Talks resume", shown_first.get_absolute_url()),
    ]


def test_published_timeline_has_no_preview_banner(client, parse_html, timeline):
    page = parse_html(client.get(timeline_url(timeline)))

    assert not page.find_all("p", class_="preview-banner")


# --- Who sees it -------------------------------------------------------------------------------


def test_unknown_timeline_is_not_found(client):
    response = client.get(reverse("timelines:timeline", kwargs={"slug": "no-such-timeline"}))

    assert response.status_code == 404


def test_timeline_no_story_shows_is_not_found(client):
    response = client.get(timeline_url(TimelineFactory()))

    assert response.status_code == 404


def test_timeline_only_an_unpublished_story_shows_is_not_found(client, unpublished_story):
    response = client.get(timeline_url(unpublished_story.timeline))

    assert response.status_code == 404


def test_timeline_shown_by_a_published_and_an_unpublished_story_is_public(
    client, parse_html, published_story, unpublished_story
):
    Story.objects.filter(pk=unpublished_story.pk).update(timeline=published_story.timeline)

    page = parse_html(client.get(timeline_url(published_story.timeline)))

    links = page.find("p", class_="meta").find_all("a")
    assert [a.attrs["href"] for a in links] == [published_story.get_absolute_url()]


def test_editor_previews_an_unpublished_timeline_with_a_banner(
    admin_client, parse_html, unpublished_story
):
    response = admin_client.get(timeline_url(unpublished_story.timeline))

    assert response.status_code == 200
    banner = parse_html(response).find("p", class_="preview-banner")
    assert banner.text.startswith("Preview — not published.")


def test_editor_preview_of_a_timeline_is_never_stored_by_shared_caches(
    admin_client, unpublished_story
):
    response = admin_client.get(timeline_url(unpublished_story.timeline))

    assert response["Cache-Control"] == "private, no-store"


# --- Conditional GET -------------------------------------------------------------------------


def backdate(timeline):
    """Move the timeline's modified time an hour back, so that an edit made now gives a
    later Last-Modified second than the first response had."""
    then = timezone.now() - datetime.timedelta(hours=1)
    Timeline.objects.filter(pk=timeline.pk).update(modified_at=then)
    # Pages are also as new as the content as a whole and the navigation.
    ContentVersion.objects.update(changed_at=then, navigation_changed_at=then)


def validators(response):
    return {"If-None-Match": response["ETag"]}, {"If-Modified-Since": response["Last-Modified"]}


BY = pytest.mark.parametrize("by", [0, 1], ids=["If-None-Match", "If-Modified-Since"])


@pytest.fixture
def cited_timeline(timeline):
    EntryCitationFactory(entry=TimelineEntryFactory(timeline=timeline))
    backdate(timeline)
    return timeline


def test_timeline_page_sends_last_modified_and_etag(client, cited_timeline):
    response = client.get(timeline_url(cited_timeline))

    assert response["ETag"]
    assert response["Last-Modified"]


@BY
def test_unchanged_timeline_page_is_not_modified(client, cited_timeline, by):
    first = client.get(timeline_url(cited_timeline))

    response = client.get(timeline_url(cited_timeline), headers=validators(first)[by])

    assert response.status_code == 304


@BY
def test_timeline_page_changes_when_an_entry_is_edited(client, cited_timeline, by):
    first = client.get(timeline_url(cited_timeline))
    entry = cited_timeline.entries.get()
    entry.text = "Talks were *postponed*."
    entry.save()

    response = client.get(timeline_url(cited_timeline), headers=validators(first)[by])

    assert response.status_code == 200


@BY
def test_timeline_page_changes_when_an_entry_is_added(client, cited_timeline, by):
    first = client.get(timeline_url(cited_timeline))
    TimelineEntryFactory(timeline=cited_timeline)

    response = client.get(timeline_url(cited_timeline), headers=validators(first)[by])

    assert response.status_code == 200


def test_timeline_page_changes_when_a_cited_article_is_retitled_by_etag(client, cited_timeline):
    first = client.get(timeline_url(cited_timeline))
    article = cited_timeline.entries.get().citations.get()
    article.title = "Ministers return to the table"
    article.save()

    response = client.get(timeline_url(cited_timeline), headers=validators(first)[0])

    assert response.status_code == 200


def test_timeline_page_changes_when_a_cited_article_is_retitled_by_last_modified(
    client, cited_timeline
):
    first = client.get(timeline_url(cited_timeline))
    article = cited_timeline.entries.get().citations.get()
    article.title = "Ministers return to the table"
    article.save()

    response = client.get(timeline_url(cited_timeline), headers=validators(first)[1])

    assert response.status_code == 200


def test_timeline_page_changes_when_a_story_showing_it_is_retitled_by_last_modified(
    client, cited_timeline
):
    first = client.get(timeline_url(cited_timeline))
    story = cited_timeline.stories.get()
    story.headline = "Talks resume after a week"
    story.save()

    response = client.get(timeline_url(cited_timeline), headers=validators(first)[1])

    assert response.status_code == 200


# --- Query counts ------------------------------------------------------------------------------


def warm_up(client, url):
    """Request the page once and drop it from the page cache: a process's first use of a
    JSON field runs a one-off database feature check that no later request pays again."""
    client.get(url)
    caches[settings.PAGE_CACHE_ALIAS].clear()


def count_queries(client, url):
    """The queries of one request that the page cache does not answer."""
    warm_up(client, url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_timeline_page_query_count_is_small(client, story, django_assert_max_num_queries):
    warm_up(client, timeline_url(story.timeline))

    with django_assert_max_num_queries(4):
        client.get(timeline_url(story.timeline))


def test_timeline_page_query_count_does_not_grow_with_the_timeline(client, sized_story):
    small = sized_story(sources=2, key_points=2, entries=2)
    large = sized_story(sources=30, key_points=20, entries=30)

    assert count_queries(client, timeline_url(large.timeline)) == count_queries(
        client, timeline_url(small.timeline)
    )


def test_entry_dates_keep_their_precision_for_machines(client, db):
    """A year entry's <time datetime> is "2016", a month's "2025-10" (valid HTML values),
    not the first day the database stores; a day keeps its day. On both pages."""
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    from stories.models import Story

    seed = Path(settings.BASE_DIR) / "fixtures" / "us-colombia-trump-petro-talks.yaml"
    call_command("load_stories", str(seed), verbosity=0)
    story = Story.objects.get()

    for url in (story.get_absolute_url(), story.timeline.get_absolute_url()):
        page = client.get(url).content.decode()
        assert '<time class="timeline__date" datetime="2016">2016</time>' in page
        assert '<time class="timeline__date" datetime="2025-10">Oct 2025</time>' in page
        assert 'datetime="2016-01-01"' not in page
        assert 'datetime="2025-12-11">Dec 11, 2025</time>' in page
