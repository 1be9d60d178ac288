"""SITE_URL is the one source of every absolute address the site gives out: canonical links,
Open Graph, JSON-LD, feeds, sitemaps and robots.txt agree whatever host a request names."""

import json
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.urls import reverse

SITE = "https://news.example.org"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def json_ld(page):
    (script,) = [
        s for s in page.find_all("script") if s.attrs.get("type") == "application/ld+json"
    ]
    return json.loads(script.text)


def test_story_page_addresses_agree(client, parse_html, published_story):
    page = parse_html(client.get(published_story.get_absolute_url(), HTTP_HOST="127.0.0.1:8123"))

    canonical = page.find("link", rel="canonical").attrs["href"]
    assert canonical == SITE + published_story.get_absolute_url()
    assert page.find("meta", property="og:url").attrs["content"] == canonical
    data = json_ld(page)
    assert data["url"] == data["mainEntityOfPage"] == canonical
    image = page.find("meta", property="og:image").attrs["content"]
    assert data["image"] == [image]  # the factory's image is hosted elsewhere: kept as given


def test_json_ld_names_the_publisher_with_its_logo(client, parse_html, published_story):
    data = json_ld(parse_html(client.get(published_story.get_absolute_url())))

    logo = data["publisher"]["logo"]
    assert logo["@type"] == "ImageObject"
    assert logo["url"].startswith(SITE + "/static/") and logo["url"].endswith(".png")
    assert client.get(logo["url"].removeprefix(SITE)).status_code == 200


def test_timeline_and_feed_pages_link_their_canonical_address(
    client, parse_html, published_story, topic_feed
):
    for path in (published_story.timeline.get_absolute_url(), topic_feed.get_absolute_url()):
        page = parse_html(client.get(path, HTTP_HOST="127.0.0.1:8123"))
        assert page.find("link", rel="canonical").attrs["href"] == SITE + path


@pytest.mark.parametrize("feed", ["stories:rss", "stories:atom"])
def test_feeds_link_the_site_address(client, published_story, feed):
    parsed = feedparser.parse(client.get(reverse(feed), HTTP_HOST="127.0.0.1:8123").content)

    assert parsed.feed.link == SITE + "/"
    assert [entry.link for entry in parsed.entries] == [SITE + published_story.get_absolute_url()]


@pytest.mark.parametrize("sitemap", ["sitemap", "news_sitemap"])
def test_sitemaps_list_the_site_address(client, published_story, sitemap):
    response = client.get(reverse(sitemap), HTTP_HOST="127.0.0.1:8123")

    locations = [loc.text for loc in ET.fromstring(response.content).iter(f"{SITEMAP}loc")]
    assert locations and all(location.startswith(SITE + "/") for location in locations)
    assert SITE + published_story.get_absolute_url() in locations


def test_robots_txt_names_the_sitemaps_at_the_site_address(client):
    text = client.get(reverse("robots_txt"), HTTP_HOST="127.0.0.1:8123").content.decode()

    assert re.findall(r"^Sitemap: (\S+)$", text, re.M) == [
        SITE + reverse("sitemap"),
        SITE + reverse("news_sitemap"),
    ]
