"""Syndication and crawling: RSS 2.0 and Atom feeds, sitemap.xml, news-sitemap.xml, robots.txt."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from newsroom.addresses import absolute_url
from tests.factories import PublishedStoryFactory
from tests.xss_vectors import read_as_html

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def absolute(path):
    """Addresses come from SITE_URL, whatever host the request named (newsroom.addresses)."""
    return absolute_url(path)


def parse_xml(response):
    assert response.status_code == 200
    return ET.fromstring(response.content)


def rss_items(response):
    """(title, link) of every item of an RSS 2.0 response."""
    channel = parse_xml(response).find("channel")
    return [(item.findtext("title"), item.findtext("link")) for item in channel.iter("item")]


def atom_entries(response):
    """(title, link) of every entry of an Atom response."""
    feed = parse_xml(response)
    return [
        (entry.findtext(f"{ATOM}title"), entry.find(f"{ATOM}link").attrib["href"])
        for entry in feed.iter(f"{ATOM}entry")
    ]


def sitemap_locations(response):
    return [loc.text for loc in parse_xml(response).iter(f"{SITEMAP}loc")]


def listing(story):
    return (story.headline, absolute(story.get_absolute_url()))


# --- RSS 2.0 and Atom ----------------------------------------------------------------------


def test_rss_is_rss_2(client, published_story):
    root = parse_xml(client.get(reverse("stories:rss")))

    assert (root.tag, root.attrib["version"]) == ("rss", "2.0")


def test_rss_is_served_as_rss(client, published_story):
    response = client.get(reverse("stories:rss"))

    assert response["Content-Type"].startswith("application/rss+xml")


def test_rss_channel_is_titled_with_the_homepage_feed(client, published_story):
    channel = parse_xml(client.get(reverse("stories:rss"))).find("channel")

    assert channel.findtext("title") == "Top Headlines — Newsroom"


def test_rss_lists_published_stories_with_titles_and_links(client, published_story):
    assert rss_items(client.get(reverse("stories:rss"))) == [listing(published_story)]


def test_rss_lists_most_recently_updated_first(client, homepage_feed):
    older = PublishedStoryFactory(feeds=[homepage_feed])
    newer = PublishedStoryFactory(
        feeds=[homepage_feed], updated_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    assert rss_items(client.get(reverse("stories:rss"))) == [listing(newer), listing(older)]


def test_rss_describes_a_story_with_its_summary(client, published_story):
    item = parse_xml(client.get(reverse("stories:rss"))).find("channel/item")

    assert item.findtext("description") == published_story.summary


def test_feed_rss_lists_only_that_feeds_stories(client, topic_feed, homepage_feed):
    in_topic = PublishedStoryFactory(feeds=[topic_feed])
    PublishedStoryFactory(feeds=[homepage_feed])

    response = client.get(reverse("stories:feed_rss", kwargs={"slug": topic_feed.slug}))

    assert rss_items(response) == [listing(in_topic)]


def test_feed_rss_of_an_unknown_feed_is_not_found(client):
    response = client.get(reverse("stories:feed_rss", kwargs={"slug": "no-such-feed"}))

    assert response.status_code == 404


def test_atom_lists_published_stories_with_titles_and_links(client, published_story):
    response = client.get(reverse("stories:atom"))

    assert parse_xml(response).tag == f"{ATOM}feed"
    assert atom_entries(response) == [listing(published_story)]


def test_feed_atom_lists_only_that_feeds_stories(client, topic_feed, homepage_feed):
    in_topic = PublishedStoryFactory(feeds=[topic_feed])
    PublishedStoryFactory(feeds=[homepage_feed])

    response = client.get(reverse("stories:feed_atom", kwargs={"slug": topic_feed.slug}))

    assert atom_entries(response) == [listing(in_topic)]


def test_rss_without_a_homepage_feed_lists_every_published_story(client, topic_feed):
    in_feed = PublishedStoryFactory(feeds=[topic_feed])
    in_no_feed = PublishedStoryFactory(updated_at=timezone.now() - datetime.timedelta(hours=2))

    assert rss_items(client.get(reverse("stories:rss"))) == [
        listing(in_feed),
        listing(in_no_feed),
    ]


def test_rss_escapes_markup_in_headlines(client, homepage_feed):
    story = PublishedStoryFactory(feeds=[homepage_feed], headline="Talks <b>end</b> & resume")

    response = client.get(reverse("stories:rss"))

    assert b"<b>end</b>" not in response.content
    # Readers take an RSS title that looks like HTML for HTML: read so, it is the headline.
    [(title, link)] = rss_items(response)
    assert read_as_html(title) == ([], story.headline)
    assert link == absolute(story.get_absolute_url())


@pytest.mark.parametrize(
    ("route", "items"),
    [
        ("stories:rss", rss_items),
        ("stories:feed_rss", rss_items),
        ("stories:atom", atom_entries),
        ("stories:feed_atom", atom_entries),
    ],
)
def test_syndication_leaves_out_unpublished_stories(
    client, topic_feed, published_story, unpublished_story, route, items
):
    kwargs = {"slug": topic_feed.slug} if route.startswith("stories:feed_") else {}

    response = client.get(reverse(route, kwargs=kwargs))

    assert items(response) == [listing(published_story)]


# --- Feed discovery in every page's head -------------------------------------------------


def discovery_links(page, kind="application/rss+xml"):
    head = page.find("head")
    return [link.attrs["href"] for link in head.find_all("link", rel="alternate", type=kind)]


@pytest.mark.parametrize(
    "page",
    ["home", "feed", "story", "timeline", "search"],
)
def test_every_page_head_links_to_the_rss_feed(
    client, parse_html, published_story, topic_feed, page
):
    url = {
        "home": reverse("stories:home"),
        "feed": reverse("stories:feed", kwargs={"slug": topic_feed.slug}),
        "story": published_story.get_absolute_url(),
        "timeline": published_story.timeline.get_absolute_url(),
        "search": reverse("stories:search") + "?q=Vorpaline",
    }[page]

    response = client.get(url)

    assert response.status_code == 200
    assert reverse("stories:rss") in discovery_links(parse_html(response))


def test_story_page_head_links_to_the_atom_feed(client, parse_html, published_story):
    page = parse_html(client.get(published_story.get_absolute_url()))

    assert reverse("stories:atom") in discovery_links(page, "application/atom+xml")


def test_topic_feed_page_head_links_to_its_own_rss_feed(client, parse_html, topic_feed):
    page = parse_html(client.get(reverse("stories:feed", kwargs={"slug": topic_feed.slug})))

    own_feed = reverse("stories:feed_rss", kwargs={"slug": topic_feed.slug})
    assert own_feed in discovery_links(page)


# --- sitemap.xml -------------------------------------------------------------------------


def test_sitemap_lists_published_stories(client, published_story):
    locations = sitemap_locations(client.get(reverse("sitemap")))

    assert absolute(published_story.get_absolute_url()) in locations


def test_sitemap_lists_timelines_of_published_stories(client, published_story):
    locations = sitemap_locations(client.get(reverse("sitemap")))

    assert absolute(published_story.timeline.get_absolute_url()) in locations


def test_sitemap_lists_feeds(client, topic_feed):
    locations = sitemap_locations(client.get(reverse("sitemap")))

    assert absolute(reverse("stories:feed", kwargs={"slug": topic_feed.slug})) in locations


def test_sitemap_leaves_out_unpublished_stories(client, unpublished_story):
    locations = sitemap_locations(client.get(reverse("sitemap")))

    assert absolute(unpublished_story.get_absolute_url()) not in locations


def test_sitemap_leaves_out_timelines_no_published_story_shows(client, unpublished_story):
    locations = sitemap_locations(client.get(reverse("sitemap")))

    assert absolute(unpublished_story.timeline.get_absolute_url()) not in locations


def test_sitemap_lists_only_published_story_and_timeline_pages(
    client, published_story, unpublished_story
):
    locations = sitemap_locations(client.get(reverse("sitemap")))

    pages = [url for url in locations if "/stories/" in url or "/timelines/" in url]
    assert sorted(pages) == sorted(
        [
            absolute(published_story.get_absolute_url()),
            absolute(published_story.timeline.get_absolute_url()),
        ]
    )


# --- news-sitemap.xml ----------------------------------------------------------------------


def test_news_sitemap_lists_recently_published_stories(client, published_story):
    root = parse_xml(client.get(reverse("news_sitemap")))

    (url,) = root.findall(f"{SITEMAP}url")
    assert url.findtext(f"{SITEMAP}loc") == absolute(published_story.get_absolute_url())
    assert url.findtext(f"{NEWS}news/{NEWS}title") == published_story.headline


def test_news_sitemap_gives_the_first_publication_time(client, published_story):
    root = parse_xml(client.get(reverse("news_sitemap")))

    published = root.findtext(f"{SITEMAP}url/{NEWS}news/{NEWS}publication_date")
    assert datetime.datetime.fromisoformat(published) == published_story.published_at


def test_news_sitemap_leaves_out_stories_published_days_ago(client, published_story):
    PublishedStoryFactory(published_at=timezone.now() - datetime.timedelta(days=3))

    locations = sitemap_locations(client.get(reverse("news_sitemap")))

    assert locations == [absolute(published_story.get_absolute_url())]


def test_news_sitemap_with_nothing_recent_is_not_found(client):
    """An empty urlset is invalid (the news sitemap schema wants one url at least)."""
    PublishedStoryFactory(published_at=timezone.now() - datetime.timedelta(days=3))

    response = client.get(reverse("news_sitemap"))

    assert response.status_code == 404


def test_news_sitemap_leaves_out_unpublished_stories(client, published_story, unpublished_story):
    locations = sitemap_locations(client.get(reverse("news_sitemap")))

    assert locations == [absolute(published_story.get_absolute_url())]


def test_news_sitemap_escapes_headlines(client):
    story = PublishedStoryFactory(headline="Talks <end> & resume")

    root = parse_xml(client.get(reverse("news_sitemap")))

    assert root.findtext(f"{SITEMAP}url/{NEWS}news/{NEWS}title") == story.headline


# --- robots.txt --------------------------------------------------------------------------


def test_robots_txt_is_plain_text(client):
    response = client.get(reverse("robots_txt"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_robots_txt_names_the_sitemaps(client):
    lines = client.get(reverse("robots_txt")).content.decode().splitlines()

    assert f"Sitemap: {absolute(reverse('sitemap'))}" in lines
    assert f"Sitemap: {absolute(reverse('news_sitemap'))}" in lines


def test_robots_txt_keeps_crawlers_out_of_admin_and_search(client):
    lines = client.get(reverse("robots_txt")).content.decode().splitlines()

    assert "Disallow: /admin/" in lines
    assert f"Disallow: {reverse('stories:search')}" in lines
