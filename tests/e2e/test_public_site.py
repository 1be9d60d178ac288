"""A reader's path through the public site, in a real browser against a live server."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from stories.models import KeyPointCitation, Video
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import SEED_TIMELINE, FeedFactory, VideoFactory, seed_shaped_story

STORY_SECTIONS = ["Key points", "Sources", "Timeline"]


@pytest.fixture
def story(transactional_db):
    """A seed-shaped story on the home page feed (the live server needs committed rows)."""
    return seed_shaped_story(feeds=[FeedFactory(is_homepage=True)])


def story_url(story):
    return reverse("stories:story", kwargs={"slug": story.slug})


def open_page(page, path):
    response = page.goto(path)
    assert response.ok, f"GET {path} answered {response.status}"
    return response


def test_stylesheet_is_served_and_applied(page, story):
    with page.expect_response(re.compile(r"/static/newsroom\.css$")) as stylesheet:
        open_page(page, story_url(story))

    assert stylesheet.value.status == 200
    # The site header's rule comes from the stylesheet, so seeing it proves the CSS applied.
    expect(page.locator(".site-header")).to_have_css("border-bottom-width", "3px")


def test_reader_goes_from_feed_to_story_to_source_to_timeline(page, story):
    open_page(page, reverse("stories:home"))
    page.get_by_role("link", name=story.headline, exact=True).click()

    expect(page).to_have_url(re.compile(re.escape(story_url(story)) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(story.headline)
    for section in STORY_SECTIONS:
        expect(page.get_by_role("region", name=section, exact=True)).to_be_visible()

    first_key_point = page.locator(".key-points li").first
    citation = first_key_point.locator("a.cite").first
    anchor = citation.get_attribute("href")
    assert re.fullmatch(r"#source-\d+", anchor), anchor
    citation.click()

    expect(page).to_have_url(re.compile(re.escape(anchor) + "$"))
    cited_source = page.locator(anchor)
    expect(cited_source).to_be_in_viewport()
    cited_urls = {
        link.source.article.url
        for link in KeyPointCitation.objects.filter(
            key_point__story=story,
            key_point__heading=first_key_point.locator(".key-point__heading").inner_text(),
        ).select_related("source__article")
    }
    assert cited_source.locator("a.article-title").get_attribute("href") in cited_urls

    page.get_by_role("link", name=f"The full timeline: {story.timeline.title}").click()

    expect(page).to_have_url(re.compile(re.escape(story.timeline.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(story.timeline.title)
    expect(page.locator(".timeline__entries > li")).to_have_count(len(SEED_TIMELINE))
    expect(page.locator(".timeline__entries > li").first).to_be_visible()


def test_story_page_lists_key_points_in_their_order(page, story):
    open_page(page, story_url(story))

    expect(page.locator(".key-point__heading")).to_have_text(
        [key_point.heading for key_point in story.key_points.order_by("position")]
    )


def test_story_page_is_usable_without_javascript(new_context, story):
    page = new_context(java_script_enabled=False).new_page()
    open_page(page, story_url(story))

    expect(page.get_by_role("heading", level=1)).to_have_text(story.headline)
    for section in STORY_SECTIONS:
        expect(page.get_by_role("region", name=section, exact=True)).to_be_visible()
    expect(page.locator(".video__link").first).to_be_visible()


def test_video_player_loads_only_when_the_reader_asks(page, story):
    video = VideoFactory(
        story=story,
        provider=Video.Provider.YOUTUBE,
        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        position=2,
    )
    player_requests = []
    page.on(
        "request",
        lambda request: player_requests.append(request.url) if "youtube" in request.url else None,
    )
    open_page(page, story_url(story))
    videos = page.get_by_role("region", name=re.compile(r"^Videos"))
    link = videos.get_by_role("link", name=re.compile(re.escape(video.title)))

    expect(link).to_be_visible()
    expect(page.locator("iframe")).to_have_count(0)
    assert player_requests == []

    link.click()

    player = videos.locator("iframe")
    expect(player).to_have_count(1)
    assert player.get_attribute("src").startswith("https://www.youtube-nocookie.com/embed/")
    expect(page).to_have_url(re.compile(re.escape(story_url(story)) + "$"))


@pytest.mark.parametrize(
    ("name", "viewport", "options"),
    [
        ("phone", PHONE, {"is_mobile": True, "has_touch": True}),
        ("desktop", DESKTOP, {}),
    ],
)
def test_story_page_fits_the_screen(new_context, story, screenshots_dir, name, viewport, options):
    page = new_context(viewport=viewport, **options).new_page()
    open_page(page, story_url(story))
    page.screenshot(path=screenshots_dir / f"story-{name}.png", full_page=True)

    widths = page.evaluate(
        "({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})"
    )
    # A mobile browser zooms out to fit overflowing content, widening innerWidth with it.
    assert widths["scrollWidth"] <= widths["innerWidth"] == viewport["width"], widths
