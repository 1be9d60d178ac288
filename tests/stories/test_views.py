"""Public story pages: the home page and topic feeds, the story page, previews, redirects,
conditional GET and query counts."""

import datetime
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from pytest_django.asserts import assertRedirects

from stories.models import (
    STATE_KEY,
    Article,
    ContentVersion,
    KeyPointCitation,
    Source,
    Story,
)
from tests.factories import (
    EntryCitationFactory,
    FeedFactory,
    HeroImageFactory,
    KeyPointFactory,
    PublishedStoryFactory,
    SourceFactory,
    StoryFactory,
    StoryNoteFactory,
)
from timelines.models import Timeline

pytestmark = pytest.mark.django_db

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"


def story_url(story):
    return reverse("stories:story", kwargs={"slug": story.slug})


def feed_url(feed):
    return reverse("stories:feed", kwargs={"slug": feed.slug})


def hours_ago(hours):
    return timezone.now() - datetime.timedelta(hours=hours)


def card_headlines(page):
    return [card.find("h2").text for card in page.find_all("article", class_="story-card")]


def card_for(page, story):
    """The story card whose headline links to the story."""
    link = page.find("a", href=story_url(story))
    while link.tag != "article":
        link = link.parent
    return link


def backdate(story, hours=1):
    """Move the story's (and its timeline's) modified time back, so that an edit made now
    gives a later Last-Modified second than the first response had."""
    then = hours_ago(hours)
    Story.objects.filter(pk=story.pk).update(modified_at=then)
    if story.timeline_id:
        Timeline.objects.filter(pk=story.timeline_id).update(modified_at=then)
    # Pages are also as new as the content as a whole and the navigation.
    ContentVersion.objects.update(changed_at=then, navigation_changed_at=then)


def card_story(feed, **kwargs):
    """A published story with what a card shows: hero image, key points, sources."""
    story = PublishedStoryFactory(feeds=[feed], **kwargs)
    HeroImageFactory(story=story)
    KeyPointFactory.create_batch(2, story=story)
    SourceFactory.create_batch(2, story=story)
    return story


def source_numbers(story):
    """Citation number of each of the story's Source rows: its rank by position."""
    sources = Source.objects.filter(story=story).order_by("position")
    return {source.pk: number for number, source in enumerate(sources, start=1)}


# --- Home page and topic feeds ---------------------------------------------------------------


def test_home_page_lists_published_stories_of_the_homepage_feed(
    client, parse_html, homepage_feed, topic_feed
):
    on_home = PublishedStoryFactory(feeds=[homepage_feed])
    elsewhere = PublishedStoryFactory(feeds=[topic_feed])

    page = parse_html(client.get(reverse("stories:home")))

    assert card_headlines(page) == [on_home.headline]
    assert not page.find_all("a", href=story_url(elsewhere))


def test_home_page_lists_most_recently_updated_first(client, parse_html, homepage_feed):
    middle = PublishedStoryFactory(feeds=[homepage_feed], updated_at=hours_ago(2))
    newest = PublishedStoryFactory(feeds=[homepage_feed], updated_at=hours_ago(1))
    oldest = PublishedStoryFactory(feeds=[homepage_feed], updated_at=hours_ago(3))

    page = parse_html(client.get(reverse("stories:home")))

    assert card_headlines(page) == [newest.headline, middle.headline, oldest.headline]


def test_story_card_headline_links_to_the_story(client, parse_html, published_story):
    page = parse_html(client.get(reverse("stories:home")))

    link = card_for(page, published_story).find("h2").find("a")
    assert link.attrs["href"] == story_url(published_story)
    assert link.text == published_story.headline


def test_story_card_shows_the_hero_image_with_its_alt_text(client, parse_html, published_story):
    page = parse_html(client.get(reverse("stories:home")))

    image = card_for(page, published_story).find("img")
    assert image.attrs["src"] == published_story.hero_image.image_url
    assert image.attrs["alt"] == published_story.hero_image.alt_text


def test_story_card_shows_the_heading_of_the_first_key_point(client, parse_html, homepage_feed):
    story = PublishedStoryFactory(feeds=[homepage_feed])
    KeyPointFactory(story=story, position=2, heading="Second in order")
    KeyPointFactory(story=story, position=1, heading="First in order")

    page = parse_html(client.get(reverse("stories:home")))

    assert card_for(page, story).find("p", class_="story-card__lede").text == "First in order"


def test_story_card_shows_the_summary_when_there_are_no_key_points(
    client, parse_html, homepage_feed
):
    story = PublishedStoryFactory(feeds=[homepage_feed], summary="Talks broke down at noon.")

    page = parse_html(client.get(reverse("stories:home")))

    lede = card_for(page, story).find("p", class_="story-card__lede")
    assert lede.text == "Talks broke down at noon."


def test_story_card_shows_updated_time_ago_in_a_time_element(client, parse_html, published_story):
    page = parse_html(client.get(reverse("stories:home")))

    time = card_for(page, published_story).find("time")
    assert time.attrs["datetime"] == published_story.updated_at.isoformat()
    assert time.text == "Updated 1 hour ago"


def edit_headline(story):
    story.headline = "Talks resume after a week"
    story.save()


def edit_hero_alt_text(story):
    story.hero_image.alt_text = "The two delegations at the table"
    story.hero_image.save()


def edit_first_key_point_heading(story):
    key_point = story.key_points.order_by("position").first()
    key_point.heading = "Ministers agree to meet again"
    key_point.save()


def card_shows(card):
    """What the card shows of a story: headline, image alt text, lede."""
    return (
        card.find("h2").text,
        card.find("img").attrs["alt"],
        card.find("p", class_="story-card__lede").text,
    )


@pytest.mark.parametrize(
    ("edit", "shown"),
    [
        (edit_headline, 0),
        (edit_hero_alt_text, 1),
        (edit_first_key_point_heading, 2),
    ],
    ids=["headline", "hero image alt text", "first key point"],
)
def test_stored_story_card_shows_an_edit_on_the_next_request(
    client, parse_html, topic_feed, published_story, edit, shown
):
    before = card_shows(card_for(parse_html(client.get(feed_url(topic_feed))), published_story))
    edit(published_story)
    published_story.refresh_from_db()

    after = card_shows(card_for(parse_html(client.get(feed_url(topic_feed))), published_story))

    assert after[shown] != before[shown]
    assert after[shown] in {
        "Talks resume after a week",
        "The two delegations at the table",
        "Ministers agree to meet again",
    }


def test_feed_page_shows_an_edited_feed_description_on_the_next_request(
    client, parse_html, topic_feed
):
    client.get(feed_url(topic_feed))
    topic_feed.description = "Coverage of the region, day by day."
    topic_feed.save()

    page = parse_html(client.get(feed_url(topic_feed)))

    assert meta_content(page, name="description") == "Coverage of the region, day by day."


def test_renamed_feed_slug_moves_its_page_on_the_next_request(client, topic_feed):
    old = feed_url(topic_feed)
    assert client.get(old).status_code == 200
    topic_feed.slug = "region"
    topic_feed.save()

    assert client.get(old).status_code == 404
    assert client.get(feed_url(topic_feed)).status_code == 200


def test_story_card_counts_its_articles(client, parse_html, published_story):
    page = parse_html(client.get(reverse("stories:home")))

    meta = card_for(page, published_story).find("p", class_="meta")
    assert meta.text.endswith("· 10 articles")


def test_story_card_counts_articles_only_its_timeline_cites(client, parse_html, published_story):
    entry = published_story.timeline.entries.first()
    EntryCitationFactory(entry=entry)

    page = parse_html(client.get(reverse("stories:home")))

    meta = card_for(page, published_story).find("p", class_="meta")
    assert meta.text.endswith("· 11 articles")


def test_story_card_says_article_in_the_singular_for_one(client, parse_html, homepage_feed):
    story = PublishedStoryFactory(feeds=[homepage_feed])
    SourceFactory(story=story)

    page = parse_html(client.get(reverse("stories:home")))

    assert card_for(page, story).find("p", class_="meta").text.endswith("· 1 article")


def test_home_page_without_a_homepage_feed_lists_every_published_story(
    client, parse_html, topic_feed
):
    in_feed = PublishedStoryFactory(feeds=[topic_feed], updated_at=hours_ago(1))
    in_no_feed = PublishedStoryFactory(updated_at=hours_ago(2))
    StoryFactory()  # a draft

    page = parse_html(client.get(reverse("stories:home")))

    assert card_headlines(page) == [in_feed.headline, in_no_feed.headline]


def test_feed_page_lists_only_that_feeds_stories(client, parse_html, homepage_feed, topic_feed):
    in_topic = PublishedStoryFactory(feeds=[topic_feed])
    PublishedStoryFactory(feeds=[homepage_feed])
    PublishedStoryFactory(feeds=[FeedFactory()])

    page = parse_html(client.get(feed_url(topic_feed)))

    assert card_headlines(page) == [in_topic.headline]


def test_feed_page_is_titled_with_the_feed_name(client, parse_html, topic_feed):
    page = parse_html(client.get(feed_url(topic_feed)))

    assert page.find("h1").text == "Latin America"


def test_unknown_feed_is_not_found(client):
    response = client.get(reverse("stories:feed", kwargs={"slug": "no-such-feed"}))

    assert response.status_code == 404


def test_homepage_feeds_own_address_redirects_permanently_to_the_home_page(client, homepage_feed):
    response = client.get(feed_url(homepage_feed))

    assertRedirects(response, reverse("stories:home"), status_code=301)


def test_navigation_lists_every_feed_in_navigation_order(client, parse_html):
    second = FeedFactory(name="Economy", nav_position=2)
    FeedFactory(name="Top Headlines", nav_position=0, is_homepage=True)
    first = FeedFactory(name="World", nav_position=1)

    page = parse_html(client.get(reverse("stories:home")))

    links = page.find("nav", class_="feeds-nav").find_all("a")
    assert [(a.text, a.attrs["href"]) for a in links] == [
        ("Top Headlines", reverse("stories:home")),
        ("World", feed_url(first)),
        ("Economy", feed_url(second)),
    ]


def test_navigation_marks_the_current_feed(client, parse_html, topic_feed):
    page = parse_html(client.get(feed_url(topic_feed)))

    current = page.find("nav", class_="feeds-nav").find("a", aria_current="page")
    assert current.attrs["href"] == feed_url(topic_feed)


# --- Keyset pagination -------------------------------------------------------------------------


@pytest.fixture
def many_stories(db):
    """25 published stories, one minute apart: more than a page of 20."""
    return [
        PublishedStoryFactory(updated_at=timezone.now() - datetime.timedelta(minutes=i))
        for i in range(25)
    ]


def older_stories_link(page):
    return page.find("a", rel="next")


def test_first_page_shows_twenty_stories(client, parse_html, many_stories):
    page = parse_html(client.get(reverse("stories:home")))

    assert card_headlines(page) == [story.headline for story in many_stories[:20]]


def test_first_page_links_to_older_stories_with_a_cursor(client, parse_html, many_stories):
    page = parse_html(client.get(reverse("stories:home")))

    link = older_stories_link(page)
    assert link.text == "Older stories"
    assert link.attrs["href"].startswith(reverse("stories:home") + "?before=")


def test_older_stories_page_shows_the_rest_without_repeats(client, parse_html, many_stories):
    first = parse_html(client.get(reverse("stories:home")))
    second = parse_html(client.get(older_stories_link(first).attrs["href"]))

    assert card_headlines(second) == [story.headline for story in many_stories[20:]]
    assert not second.find_all("a", rel="next")


def test_pagination_neither_repeats_nor_skips_stories_updated_at_the_same_time(client, parse_html):
    same_time = hours_ago(1)
    stories = PublishedStoryFactory.create_batch(25, updated_at=same_time)

    first = parse_html(client.get(reverse("stories:home")))
    second = parse_html(client.get(older_stories_link(first).attrs["href"]))

    shown = card_headlines(first) + card_headlines(second)
    assert sorted(shown) == sorted(story.headline for story in stories)
    assert len(shown) == len(set(shown))


def test_feed_page_paginates_within_the_feed(client, parse_html, topic_feed):
    stories = [
        PublishedStoryFactory(feeds=[topic_feed], updated_at=hours_ago(i)) for i in range(1, 23)
    ]
    PublishedStoryFactory.create_batch(5)  # not in the feed

    first = parse_html(client.get(feed_url(topic_feed)))
    link = older_stories_link(first).attrs["href"]
    second = parse_html(client.get(link))

    assert link.startswith(feed_url(topic_feed) + "?before=")
    assert card_headlines(second) == [story.headline for story in stories[20:]]


@pytest.mark.parametrize(
    "cursor", ["garbage", "123", "1-2-3", "-1", "99999999999999999999999999-1"]
)
def test_malformed_cursor_is_not_found(client, many_stories, cursor):
    response = client.get(reverse("stories:home"), {"before": cursor})

    assert response.status_code == 404


def test_cursor_with_an_out_of_range_story_id_is_not_a_server_error(client, many_stories):
    cursor = f"{int(timezone.now().timestamp()) * 1_000_000}-{2**70}"

    response = client.get(reverse("stories:home"), {"before": cursor})

    # No story can have that id (ids are 64-bit): no page of ours ever gave that cursor.
    assert response.status_code == 404


# --- The story page: sections ----------------------------------------------------------------


@pytest.fixture
def full_story(story):
    """The seed-shaped story with what the seed adds beyond it: a full-size image link and
    an update and a correction."""
    hero = story.hero_image
    hero.full_size_url = "https://example.org/images/full.jpg"
    hero.save()
    StoryNoteFactory(story=story, text="Added the ministers' statement.", created_at=hours_ago(2))
    StoryNoteFactory(
        story=story,
        kind="correction",
        text="An earlier version misnamed the minister.",
        created_at=hours_ago(1),
    )
    return story


def test_story_page_shows_every_section_in_the_seeds_order(client, parse_html, full_story):
    page = parse_html(client.get(story_url(full_story)))

    article = page.find("article", class_="story")
    landmarks = [
        element.text if element.tag.startswith("h") else element.tag
        for element in article.iter()
        if element.tag in {"h1", "h2", "figure"}
    ]
    assert landmarks == [
        full_story.headline,
        "figure",
        "Key points",
        "Sources",
        "Videos (1)",
        "Timeline",
        "All related articles (10 articles)",
        "External resources (3 links)",
        "Updates",
    ]


def test_story_page_has_exactly_one_h1_the_headline(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert [h1.text for h1 in page.find_all("h1")] == [story.headline]


def test_story_page_shows_updated_time_ago_under_the_headline(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    time = page.find("header", class_="story__header").find("time")
    assert time.attrs["datetime"] == story.updated_at.isoformat()
    assert time.text == "Updated 1 hour ago"


def test_story_page_hero_figure_shows_image_caption_credit_and_links(
    client, parse_html, full_story
):
    hero = full_story.hero_image

    figure = parse_html(client.get(story_url(full_story))).find("figure", class_="hero")

    image = figure.find("img")
    assert (image.attrs["src"], image.attrs["alt"]) == (hero.image_url, hero.alt_text)
    caption = figure.find("figcaption")
    assert caption.find("span", class_="hero__caption").text == hero.caption
    assert caption.find("span", class_="hero__credit").text == hero.credit
    assert caption.find("span", class_="hero__origin").text == f"({hero.source_name})"
    links = {a.text: a.attrs["href"] for a in caption.find_all("a")}
    assert links == {"Source": hero.source_url, "Full size": hero.full_size_url}


def test_hero_caption_reads_with_its_separators_as_text(client, parse_html, full_story):
    """Screen readers, RSS readers and copy-paste get the words apart, not only CSS."""
    hero = full_story.hero_image

    figure = parse_html(client.get(story_url(full_story))).find("figure", class_="hero")

    text = figure.find("figcaption").text
    assert " ".join(text.split()) == (
        f"{hero.caption} ({hero.source_name}) {hero.credit} · Source · Full size"
    )


def test_hero_caption_with_links_only_starts_with_a_link(client, parse_html, full_story):
    hero = full_story.hero_image
    type(hero).objects.filter(pk=hero.pk).update(caption="", source_name="", credit="")

    figure = parse_html(client.get(story_url(full_story))).find("figure", class_="hero")

    assert " ".join(figure.find("figcaption").text.split()) == "Source · Full size"


def test_story_page_lists_key_points_in_order(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    headings = [strong.text for strong in page.find_all("strong", class_="key-point__heading")]
    assert headings == [point.heading for point in story.key_points.order_by("position")]


def test_story_page_numbers_sources_in_an_ordered_list(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    items = page.find("section", class_="sources").find("ol").find_all("li")
    assert [item.attrs["id"] for item in items] == [f"source-{n}" for n in range(1, 11)]
    assert [item.find("a").attrs["href"] for item in items] == [
        source.article.url for source in story.sources.order_by("position")
    ]


def test_key_point_citations_link_to_the_cited_sources(client, parse_html, story):
    numbers = source_numbers(story)
    key_point = story.key_points.order_by("position").first()
    cited = KeyPointCitation.objects.filter(key_point=key_point).select_related("source__article")
    expected = sorted((numbers[c.source_id], c.source.article.url) for c in cited)

    page = parse_html(client.get(story_url(story)))

    links = page.find("li", id="key-point-1").find_all("a", class_="cite")
    assert [(a.text, a.attrs["href"]) for a in links] == [
        (f"[{n}]", f"#source-{n}") for n, _ in expected
    ]
    for number, url in expected:
        assert page.find("li", id=f"source-{number}").find("a").attrs["href"] == url


def test_every_key_point_citation_points_at_a_numbered_source(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    for link in page.find("section", class_="key-points").find_all("a", class_="cite"):
        assert page.find_all(id=link.attrs["href"].removeprefix("#"))


def test_entry_citing_an_article_that_is_not_a_source_adds_it_after_the_sources(
    client, parse_html, story
):
    entry = story.timeline.entries.order_by("date").first()
    extra = EntryCitationFactory(entry=entry).article

    page = parse_html(client.get(story_url(story)))

    items = page.find("section", class_="sources").find_all("li")
    assert len(items) == 11
    assert items[-1].attrs["id"] == "source-11"
    assert items[-1].find("a").attrs["href"] == extra.url


def test_entry_cites_its_timeline_only_article_by_its_new_number(client, parse_html, story):
    entry = story.timeline.entries.order_by("date").first()
    EntryCitationFactory(entry=entry)

    page = parse_html(client.get(story_url(story)))

    first_entry = page.find("section", class_="timeline").find_all("li")[0]
    assert "#source-11" in [a.attrs["href"] for a in first_entry.find_all("a", class_="cite")]


def test_story_page_videos_heading_counts_them(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert page.find("h2", id="videos-heading").text == "Videos (1)"


def test_story_page_timeline_shows_entry_date_labels_in_date_order(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    labels = [t.text for t in page.find("section", class_="timeline").find_all("time")]
    assert labels == [
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


def test_story_page_timeline_links_to_the_timeline_page(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    hrefs = [a.attrs["href"] for a in page.find("section", class_="timeline").find_all("a")]
    assert reverse("timelines:timeline", kwargs={"slug": story.timeline.slug}) in hrefs


def test_story_page_lists_all_related_articles_newest_first(client, parse_html, story):
    newest = Article.objects.get(sources__story=story, sources__position=5)
    newest.published_at = timezone.now()
    newest.save()

    page = parse_html(client.get(story_url(story)))

    section = page.find("section", class_="related")
    assert section.find("h2").text == "All related articles (10 articles)"
    links = section.find_all("a", class_="article-title")
    assert len(links) == 10
    assert links[0].attrs["href"] == newest.url


def test_story_page_external_resources_heading_counts_links(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    section = page.find("section", class_="resources")
    assert section.find("h2").text == "External resources (3 links)"
    assert [a.attrs["href"] for a in section.find_all("a")] == list(
        story.resources.order_by("position").values_list("url", flat=True)
    )


def detach_timeline(story):
    story.timeline = None
    story.save()


@pytest.mark.parametrize(
    ("empty", "heading_id"),
    [
        (lambda story: story.videos.all().delete(), "videos-heading"),
        (lambda story: story.resources.all().delete(), "resources-heading"),
        (lambda story: detach_timeline(story), "timeline-heading"),
    ],
    ids=["videos", "resources", "timeline"],
)
def test_empty_section_is_left_out(client, parse_html, story, empty, heading_id):
    empty(story)

    page = parse_html(client.get(story_url(story)))

    assert not page.find_all(id=heading_id)
    assert page.find_all(id="key-points-heading")


def test_story_page_drops_the_timeline_section_when_the_timeline_is_deleted(
    client, parse_html, story
):
    story.timeline.delete()

    page = parse_html(client.get(story_url(story)))

    assert not page.find_all(id="timeline-heading")


def test_story_without_notes_has_no_updates_section(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert not page.find_all(id="updates-heading")


def test_bare_story_shows_no_empty_sections(client, parse_html):
    story = PublishedStoryFactory()

    page = parse_html(client.get(story_url(story)))

    assert page.find("article", class_="story").find_all("h2") == []
    assert not page.find_all("figure")


def test_updates_section_tells_updates_and_corrections_apart(client, parse_html, full_story):
    page = parse_html(client.get(story_url(full_story)))

    section = page.find("section", id="updates")
    correction, update = section.find_all("li")
    assert correction.attrs["class"] == "correction"
    assert correction.find("strong").text == "Correction"
    assert correction.text.endswith("An earlier version misnamed the minister.")
    assert update.attrs["class"] == "update"
    assert update.find("strong").text == "Update"
    assert update.text.endswith("Added the ministers' statement.")


# --- The story page: metadata ----------------------------------------------------------------


def meta_content(page, **attrs):
    return page.find("meta", **attrs).attrs["content"]


def json_ld(page):
    return json.loads(page.find("script", type="application/ld+json").text)


def test_story_page_title_is_the_headline_and_site_name(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert page.find("title").text == f"{story.headline} — Newsroom"


def test_story_page_meta_description_is_the_summary(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert meta_content(page, name="description") == story.summary


def test_story_page_canonical_link_is_its_absolute_url(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert page.find("link", rel="canonical").attrs["href"] == settings.SITE_URL + story_url(story)


def test_story_page_has_open_graph_title_and_image(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert meta_content(page, property="og:title") == story.headline
    assert meta_content(page, property="og:image") == story.hero_image.image_url


def test_story_page_with_a_hero_image_has_a_large_twitter_card(client, parse_html, story):
    page = parse_html(client.get(story_url(story)))

    assert meta_content(page, name="twitter:card") == "summary_large_image"


def test_story_page_json_ld_is_a_news_article(client, parse_html, story):
    data = json_ld(parse_html(client.get(story_url(story))))

    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.headline
    assert datetime.datetime.fromisoformat(data["datePublished"]) == story.published_at
    assert datetime.datetime.fromisoformat(data["dateModified"]) == story.updated_at


def test_story_page_json_ld_cites_every_source_in_order(client, parse_html, story):
    data = json_ld(parse_html(client.get(story_url(story))))

    assert [work["url"] for work in data["citation"]] == [
        source.article.url for source in story.sources.order_by("position")
    ]


HOSTILE_HEADLINE = "Talks end </script><script>alert(1)</script>"


def test_headline_cannot_close_the_json_ld_script(client):
    story = PublishedStoryFactory(headline=HOSTILE_HEADLINE)

    response = client.get(story_url(story))

    assert b"</script><script>" not in response.content


def test_json_ld_with_a_hostile_headline_still_parses(client, parse_html):
    story = PublishedStoryFactory(headline=HOSTILE_HEADLINE)

    data = json_ld(parse_html(client.get(story_url(story))))

    assert data["headline"] == HOSTILE_HEADLINE


# --- Escaping editor text ------------------------------------------------------------------


def assert_no_injected_markup(response, page):
    assert b"<script>alert" not in response.content
    for element in page.iter():
        assert not [name for name in element.attrs if name.startswith("on")], element
    for script in page.find_all("script"):
        assert script.attrs.get("type") == "application/ld+json" or script.attrs.get("src")


def hostile_story(field):
    """A published story in a feed with both payloads in one of its texts."""
    payload = f"Talks {XSS_SCRIPT} end {XSS_IMG}"
    story = PublishedStoryFactory(
        feeds=[FeedFactory(is_homepage=True)],
        headline=payload if field == "headline" else "Talks end",
        summary=payload if field == "summary" else "A summary.",
    )
    HeroImageFactory(
        story=story,
        caption=payload if field == "caption" else "A caption.",
        alt_text=payload if field == "alt text" else "Two leaders.",
    )
    KeyPointFactory(
        story=story,
        heading=payload if field == "key point heading" else "A heading",
        body=payload if field == "key point body" else "A body.",
    )
    return story


@pytest.mark.parametrize(
    "field", ["headline", "summary", "caption", "alt text", "key point heading", "key point body"]
)
def test_editor_text_is_escaped_on_the_story_page(client, parse_html, field):
    story = hostile_story(field)

    response = client.get(story_url(story))

    assert_no_injected_markup(response, parse_html(response))


@pytest.mark.parametrize("field", ["headline", "alt text", "key point heading"])
def test_editor_text_is_escaped_on_the_home_page(client, parse_html, field):
    hostile_story(field)

    response = client.get(reverse("stories:home"))

    assert_no_injected_markup(response, parse_html(response))


def test_escaped_headline_reads_as_written(client, parse_html):
    story = hostile_story("headline")

    page = parse_html(client.get(story_url(story)))

    assert page.find("h1").text == f"Talks {XSS_SCRIPT} end {XSS_IMG}"


def test_key_point_body_drops_javascript_links(client, parse_html):
    story = PublishedStoryFactory()
    KeyPointFactory(story=story, body="See [this](javascript:alert(1)).")

    page = parse_html(client.get(story_url(story)))

    hrefs = [a.attrs.get("href", "") for a in page.find_all("a")]
    assert not [href for href in hrefs if href.lower().startswith("javascript:")]


# --- Who sees what ---------------------------------------------------------------------------


def test_published_story_page_is_public(client, story):
    response = client.get(story_url(story))

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_unpublished_story_page_is_not_found(client, unpublished_story):
    response = client.get(story_url(unpublished_story))

    assert response.status_code == 404


def test_unpublished_story_is_not_on_the_home_page(client, parse_html, unpublished_story):
    page = parse_html(client.get(reverse("stories:home")))

    assert card_headlines(page) == ["Vorpaline talks resume in Havana"]


def test_unpublished_story_is_not_on_its_topic_feed(
    client, parse_html, topic_feed, unpublished_story
):
    page = parse_html(client.get(feed_url(topic_feed)))

    assert card_headlines(page) == ["Vorpaline talks resume in Havana"]


def test_unpublished_story_is_not_on_the_home_page_without_a_homepage_feed(
    client, parse_html, homepage_feed, unpublished_story
):
    homepage_feed.is_homepage = False
    homepage_feed.save()

    page = parse_html(client.get(reverse("stories:home")))

    assert card_headlines(page) == ["Vorpaline talks resume in Havana"]


def test_editor_previews_unpublished_story_with_a_banner(
    admin_client, parse_html, unpublished_story
):
    response = admin_client.get(story_url(unpublished_story))

    assert response.status_code == 200
    banner = parse_html(response).find("p", class_="preview-banner")
    assert banner.text.startswith("Preview — not published.")


def test_editor_preview_is_never_stored_by_shared_caches(admin_client, unpublished_story):
    response = admin_client.get(story_url(unpublished_story))

    assert response["Cache-Control"] == "private, no-store"


def test_published_story_has_no_preview_banner_for_editors(admin_client, parse_html, story):
    page = parse_html(admin_client.get(story_url(story)))

    assert not page.find_all("p", class_="preview-banner")


def test_staff_with_view_story_permission_previews_a_draft(client, django_user_model):
    editor = django_user_model.objects.create_user("editor", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_story"))
    client.force_login(editor)
    draft = StoryFactory()

    response = client.get(story_url(draft))

    assert response.status_code == 200


def test_signed_in_user_without_permission_cannot_see_a_draft(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))
    draft = StoryFactory()

    response = client.get(story_url(draft))

    assert response.status_code == 404


# --- Slug changes ----------------------------------------------------------------------------


def test_published_storys_old_slug_redirects_permanently(client):
    story = PublishedStoryFactory(slug="talks-begin")
    story.slug = "talks-resume"
    story.save()

    response = client.get(reverse("stories:story", kwargs={"slug": "talks-begin"}))

    assertRedirects(response, story_url(story), status_code=301)


def test_every_earlier_slug_redirects_to_the_current_one(client):
    story = PublishedStoryFactory(slug="talks-planned")
    for slug in ("talks-begin", "talks-resume"):
        story.slug = slug
        story.save()

    response = client.get(reverse("stories:story", kwargs={"slug": "talks-planned"}))

    assertRedirects(response, story_url(story), status_code=301)


def test_drafts_old_slug_does_not_redirect(admin_client):
    draft = StoryFactory(slug="draft-talks")
    draft.slug = "draft-talks-renamed"
    draft.save()

    response = admin_client.get(reverse("stories:story", kwargs={"slug": "draft-talks"}))

    assert response.status_code == 404


def test_old_slug_of_a_story_since_unpublished_does_not_redirect(client):
    story = PublishedStoryFactory(slug="talks-begin")
    story.slug = "talks-resume"
    story.save()
    story.status = Story.Status.ARCHIVED
    story.save()

    response = client.get(reverse("stories:story", kwargs={"slug": "talks-begin"}))

    assert response.status_code == 404


def test_unknown_story_is_not_found(client):
    response = client.get(reverse("stories:story", kwargs={"slug": "no-such-story"}))

    assert response.status_code == 404


# --- Conditional GET -----------------------------------------------------------------------


def validators(response):
    return {"If-None-Match": response["ETag"]}, {"If-Modified-Since": response["Last-Modified"]}


def test_story_page_sends_last_modified_and_etag(client, story):
    response = client.get(story_url(story))

    assert response["ETag"]
    assert response["Last-Modified"] == http_date(
        Story.objects.get(pk=story.pk).modified_at.timestamp()
    )


@pytest.mark.parametrize("validator", [0, 1], ids=["If-None-Match", "If-Modified-Since"])
def test_unchanged_story_page_is_not_modified(client, story, validator):
    first = client.get(story_url(story))

    response = client.get(story_url(story), headers=validators(first)[validator])

    assert response.status_code == 304


def edit_key_point(story):
    key_point = story.key_points.order_by("position").first()
    key_point.heading = "Talks resume after a week"
    key_point.save()


def edit_source_title(story):
    article = story.sources.order_by("position").first().article
    article.title = "Ministers return to the table"
    article.save()


def edit_entry(story):
    entry = story.timeline.entries.order_by("date").first()
    entry.text = "The first talks *began*."
    entry.save()


def edit_outlet(story):
    outlet = story.sources.order_by("position").first().article.outlet
    outlet.name = "Renamed Outlet"
    outlet.save()


EDITS = pytest.mark.parametrize(
    "edit",
    [edit_key_point, edit_source_title, edit_entry, edit_outlet],
    ids=["key point", "source article title", "timeline entry", "outlet name"],
)


@EDITS
def test_edited_story_page_does_not_match_the_old_etag(client, story, edit):
    etag, _ = validators(client.get(story_url(story)))
    edit(story)

    response = client.get(story_url(story), headers=etag)

    assert response.status_code == 200


@EDITS
def test_edited_story_page_is_modified_since_the_old_last_modified(client, story, edit):
    backdate(story)
    _, since = validators(client.get(story_url(story)))
    edit(story)

    response = client.get(story_url(story), headers=since)

    assert response.status_code == 200


def test_story_page_changes_when_a_feed_in_the_navigation_is_renamed(client, story):
    backdate(story)
    _, since = validators(client.get(story_url(story)))
    feed = story.feeds.first()
    feed.name = "Renamed Feed"
    feed.save()

    response = client.get(story_url(story), headers=since)

    assert response.status_code == 200


def test_feed_page_sends_last_modified_and_etag(client, topic_feed, published_story):
    response = client.get(feed_url(topic_feed))

    assert response["ETag"]
    assert response["Last-Modified"]


@pytest.mark.parametrize("validator", [0, 1], ids=["If-None-Match", "If-Modified-Since"])
def test_unchanged_feed_page_is_not_modified(client, topic_feed, published_story, validator):
    first = client.get(feed_url(topic_feed))

    response = client.get(feed_url(topic_feed), headers=validators(first)[validator])

    assert response.status_code == 304


@pytest.mark.parametrize("validator", [0, 1], ids=["If-None-Match", "If-Modified-Since"])
def test_feed_page_changes_when_a_listed_story_is_edited(
    client, topic_feed, published_story, validator
):
    backdate(published_story)
    first = client.get(feed_url(topic_feed))
    edit_key_point(published_story)

    response = client.get(feed_url(topic_feed), headers=validators(first)[validator])

    assert response.status_code == 200


def test_feed_page_changes_when_a_story_is_unpublished_by_etag(client, topic_feed):
    kept = PublishedStoryFactory(feeds=[topic_feed])
    withdrawn = PublishedStoryFactory(feeds=[topic_feed])
    backdate(kept, hours=2)
    backdate(withdrawn, hours=1)
    etag, _ = validators(client.get(feed_url(topic_feed)))
    withdrawn.status = Story.Status.ARCHIVED
    withdrawn.save()

    response = client.get(feed_url(topic_feed), headers=etag)

    assert response.status_code == 200


def test_feed_page_changes_when_a_story_is_unpublished_by_last_modified(client, topic_feed):
    kept = PublishedStoryFactory(feeds=[topic_feed])
    withdrawn = PublishedStoryFactory(feeds=[topic_feed])
    backdate(kept, hours=2)
    backdate(withdrawn, hours=1)
    _, since = validators(client.get(feed_url(topic_feed)))
    withdrawn.status = Story.Status.ARCHIVED
    withdrawn.save()

    response = client.get(feed_url(topic_feed), headers=since)

    assert response.status_code == 200


def go_live(story):
    """What the passing of time does to a scheduled story: its publication time is now past,
    and so is the moment ContentVersion noted as the next one to go live."""
    due = timezone.now() - datetime.timedelta(seconds=1)
    Story.objects.filter(pk=story.pk).update(published_at=due)
    ContentVersion.objects.filter(pk=1).update(next_publish_at=due)
    # The copy of the state readers share through the cache noted the same moment.
    caches[settings.PAGE_CACHE_ALIAS].delete(STATE_KEY)


@pytest.fixture
def feed_with_scheduled_story(topic_feed):
    listed = PublishedStoryFactory(feeds=[topic_feed])
    scheduled = PublishedStoryFactory(
        feeds=[topic_feed], published_at=timezone.now() + datetime.timedelta(minutes=30)
    )
    backdate(scheduled, hours=2)
    backdate(listed, hours=1)
    return scheduled


def test_feed_page_changes_when_a_scheduled_story_goes_live_by_etag(
    client, topic_feed, feed_with_scheduled_story
):
    etag, _ = validators(client.get(feed_url(topic_feed)))
    go_live(feed_with_scheduled_story)

    response = client.get(feed_url(topic_feed), headers=etag)

    assert response.status_code == 200


def test_feed_page_changes_when_a_scheduled_story_goes_live_by_last_modified(
    client, topic_feed, feed_with_scheduled_story
):
    _, since = validators(client.get(feed_url(topic_feed)))
    go_live(feed_with_scheduled_story)

    response = client.get(feed_url(topic_feed), headers=since)

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


def test_story_page_query_count_is_small(client, story, django_assert_max_num_queries):
    warm_up(client, story_url(story))

    with django_assert_max_num_queries(6):
        client.get(story_url(story))


def test_story_page_query_count_does_not_grow_with_the_story(client, sized_story):
    small = sized_story(sources=2, key_points=2, entries=2)
    large = sized_story(sources=30, key_points=20, entries=30)

    assert count_queries(client, story_url(large)) == count_queries(client, story_url(small))


def test_feed_page_query_count_is_small(client, story, django_assert_max_num_queries):
    url = feed_url(story.feeds.first())
    warm_up(client, url)

    with django_assert_max_num_queries(4):
        client.get(url)


def test_home_page_query_count_is_small(client, published_story, django_assert_max_num_queries):
    warm_up(client, reverse("stories:home"))

    with django_assert_max_num_queries(4):
        client.get(reverse("stories:home"))


def test_feed_page_query_count_does_not_grow_with_the_feed(client):
    small_feed, large_feed = FeedFactory.create_batch(2)
    for _ in range(3):
        card_story(small_feed)
    for _ in range(25):
        card_story(large_feed)

    assert count_queries(client, feed_url(large_feed)) == count_queries(
        client, feed_url(small_feed)
    )


def test_seed_story_page_uses_no_more_queries_than_a_small_story(client, story, sized_story):
    small = sized_story(sources=2, key_points=2, entries=2)

    assert count_queries(client, story_url(story)) == count_queries(client, story_url(small))
