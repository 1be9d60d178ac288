"""An editor's path through the admin, in a real browser against a live server.

The editor logs in through the login form, writes a story with its hero image, two sources,
a key point citing one of them and a timeline entry, publishes it, and a reader then finds it
on the home page. Everything goes through the admin's own screens and JavaScript: the slug
prepopulated from the headline, the feeds check boxes, "Add another" inlines, the select2
autocomplete and the preview button's new tab. Only what an administrator sets up beforehand
(the login, with create_editor, and the home page feed) is written to the database directly.

The shorter tests below pin what this path once tripped over: two new sources in one save,
uncited key points and entries, citations for new entries, sortable2's static files, and the
hero image preview under the content security policy.
"""

import re

import pytest
from django.core.files import File
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from stories.models import Article, HeroImage, Story
from tests.e2e.conftest import PASSWORD
from tests.factories import (
    FeedFactory,
    OutletFactory,
    SourceFactory,
    StoryFactory,
    TimelineFactory,
    seed_shaped_story,
)

HEADLINE = "Vorpaline ceasefire talks resume in Havana"
SLUG = "vorpaline-ceasefire-talks-resume-in-havana"
ALT_TEXT = "Delegates take their seats around a long table in Havana."
SOURCES = [
    {
        "url": "https://example.com/news/ceasefire-talks-resume",
        "title": "Negotiators return to Havana",
        "new_outlet": "Harbor Gazette",
    },
    {
        "url": "https://example.net/world/what-the-ceasefire-would-change",
        "title": "What the ceasefire would change",
        "new_outlet": "Northern Ledger",
    },
]
FIRST_SOURCE_CHOICE = f"{SOURCES[0]['new_outlet']}: {SOURCES[0]['title']}"
KEY_POINT = {
    "heading": "Talks resume after a two-month pause",
    "body": "Both delegations arrived in Havana on **Monday**.",
}
TIMELINE_TITLE = "Vorpaline peace process"
ENTRY = {
    "date": "Dec 11, 2025",  # as editors write it: the precision follows
    "label": "Dec 11, 2025",
    "text": "Delegations meet in Havana for the first time.",
}


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def editor_page(page, staff_member):
    """A browser page logged in, through the login form, as a member of Editors."""
    log_in(page, staff_member("edna-editor", "Editors"))
    return page


@pytest.fixture
def homepage_feed(transactional_db):
    return FeedFactory(name="Top Headlines", slug="top-headlines", is_homepage=True)


@pytest.fixture
def hero_png(tmp_path):
    path = tmp_path / "havana-talks.png"
    Image.new("RGB", (160, 90), (32, 96, 160)).save(path)
    return path


# --- Steps an editor takes ------------------------------------------------------------------


def log_in(page, user):
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def press(page, button):
    """Submit the form with `button`; fail with the admin's own words if it refuses."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button, exact=True).click()
    response = navigation.value
    assert response.ok, f"“{button}” led to {page.url}, which answered {response.status}"
    # The form's own error notes; the "⚠ No citation" marker is a <strong class="errornote">.
    errors = page.locator("p.errornote, ul.errorlist").all_inner_texts()
    assert not errors, "The admin refused the form:\n" + "\n".join(errors)
    expect(page.locator(".messagelist .success")).to_be_visible()


def add_source(page, index, source):
    page.get_by_role("button", name="Add another Source").click()
    row = page.locator(f"#sources-{index}")
    for name, value in source.items():
        row.locator(f"[name='sources-{index}-{name}']").fill(value)


def add_key_point(page, index, key_point):
    page.get_by_role("button", name="Add another Key point").click()
    form = page.locator(f"#key_points-{index}")
    form.get_by_label("Heading").fill(key_point["heading"])
    form.get_by_label("Body").fill(key_point["body"])
    return form


def add_entry(page, index, entry):
    page.get_by_role("button", name="Add another Timeline entry").click()
    form = page.locator(f"#entries-{index}")
    form.get_by_label("Date").fill(entry["date"])
    form.get_by_label("Text").fill(entry["text"])
    return form


def start_story(page):
    page.goto(reverse("admin:stories_story_add"))
    page.get_by_role("textbox", name="Headline:").press_sequentially(HEADLINE)
    expect(page.get_by_label("Slug")).to_have_value(SLUG)


def choose_feed(page, name):
    page.locator("#id_feeds").get_by_label(name).check()


def choose_autocomplete(page, field, text):
    """Pick `text` in an autocomplete (select2) field by typing, as an editor would. On a
    loaded machine a late search response can redraw the list under the click: then the
    editor picks again."""
    rendered = page.locator(f".field-{field} .select2-selection__rendered")
    for _ in range(3):
        page.locator(f".field-{field} .select2-selection").click()
        page.locator(".select2-search__field").fill(text)
        page.locator(".select2-results__option", has_text=text).click()
        if text in rendered.inner_text():
            break
    expect(rendered).to_contain_text(text)


def story_change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


# --- The editor's story, from login to the home page ---------------------------------------


def test_editor_publishes_a_story_that_readers_find_on_the_home_page(
    editor_page, homepage_feed, media_root, hero_png, new_context, screenshots_dir
):
    page = editor_page

    # 1. The story screen: headline (the slug follows it), summary, feed, hero image and the
    #    first source, saved (citing before the first save: the tests below).
    start_story(page)
    page.get_by_label("Summary").fill("The two sides are back at the table after two months.")
    choose_feed(page, homepage_feed.name)
    page.locator("#id_hero_image-0-image").set_input_files(hero_png)
    page.locator("#id_hero_image-0-image_url").fill("https://example.org/images/havana.jpg")
    page.locator("#id_hero_image-0-alt_text").fill(ALT_TEXT)
    # The first source; the second follows with the key point (two at once: test below).
    add_source(page, 0, SOURCES[0])
    press(page, "Save and continue editing")
    change_url = page.url

    # 2. The second source, and a key point citing source [1]. The key point is added with
    #    its citation ticked in the same save.
    add_source(page, 1, SOURCES[1])
    key_point = add_key_point(page, 0, KEY_POINT)
    key_point.get_by_label(f"[1] {FIRST_SOURCE_CHOICE}").check()
    press(page, "Save and continue editing")
    expect(page.locator("#sources-group .has_original .field-number")).to_have_text(["[1]", "[2]"])
    expect(page.locator("#key_points-0 .field-cites .readonly")).to_have_text("[1]")

    # 3. The timeline and its entry. A new timeline is shown by no story yet, so its entry
    #    has nothing to cite until the story shows it (citing: see the tests below).
    page.goto(reverse("admin:timelines_timeline_add"))
    page.get_by_label("Title").press_sequentially(TIMELINE_TITLE)
    expect(page.get_by_label("Slug")).to_have_value("vorpaline-peace-process")
    add_entry(page, 0, ENTRY)
    press(page, "Save")

    # 4. Back on the story: show the timeline and publish.
    page.goto(change_url)
    choose_autocomplete(page, "timeline", TIMELINE_TITLE)
    page.screenshot(path=screenshots_dir / "admin-story.png", full_page=True)
    press(page, "Publish now")
    expect(page.locator(".messagelist .success")).to_contain_text(HEADLINE)

    # 5. A reader, with no session, finds it on the home page and opens it.
    reader = new_context().new_page()
    reader.goto(reverse("stories:home"))
    reader.get_by_role("link", name=HEADLINE, exact=True).click()

    story_path = reverse("stories:story", kwargs={"slug": SLUG})
    expect(reader).to_have_url(re.compile(re.escape(story_path) + "$"))
    expect(reader.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(reader.locator(".preview-banner")).to_have_count(0)

    hero = reader.locator(".hero img")
    expect(hero).to_have_attribute("alt", ALT_TEXT)
    # An uploaded file wins over the remote URL; readers get its renditions, and the
    # original behind "Full size".
    expect(hero).to_have_attribute(
        "src", re.compile(r"^/media/renditions/stories/\d{4}/\d{2}/havana-talks\w*-\d+w\.jpg$")
    )
    assert (media_root / hero.get_attribute("src").removeprefix("/media/")).is_file()
    original = reader.get_by_role("link", name="Full size").get_attribute("href")
    assert re.fullmatch(r"/media/stories/\d{4}/\d{2}/havana-talks\w*\.png", original)
    assert (media_root / original.removeprefix("/media/")).is_file()

    point = reader.locator(".key-points li")
    expect(point).to_have_count(1)
    expect(point.locator(".key-point__heading")).to_have_text(KEY_POINT["heading"])
    expect(point.locator("a.cite")).to_have_text(["[1]"])
    expect(point.locator("a.cite")).to_have_attribute("href", "#source-1")
    expect(reader.locator("#source-1 .article-title")).to_have_text(SOURCES[0]["title"])
    expect(reader.locator("#source-2 .article-title")).to_have_text(SOURCES[1]["title"])

    entry = reader.locator(".timeline__entries > li")
    expect(entry).to_have_count(1)
    expect(entry.locator(".timeline__date")).to_have_text(ENTRY["label"])
    expect(entry.locator(".timeline__text")).to_have_text(ENTRY["text"])


def test_preview_opens_unsaved_changes_in_a_new_tab(editor_page, homepage_feed, new_context):
    story = seed_shaped_story(feeds=[homepage_feed])
    saved_headline = story.headline
    page = editor_page
    page.goto(story_change_url(story))
    page.get_by_role("textbox", name="Headline:").fill("Talks collapse before they begin")

    with page.context.expect_page() as new_tab:
        page.get_by_role("button", name="Preview as readers will see it").click()
    preview = new_tab.value
    preview.wait_for_load_state()

    expect(preview.get_by_role("status")).to_contain_text("Preview — unsaved changes")
    expect(preview.get_by_role("heading", level=1)).to_have_text(
        "Talks collapse before they begin"
    )
    # The editor's tab keeps the edit; the database and the public page do not have it.
    expect(page.get_by_role("textbox", name="Headline:")).to_have_value(
        "Talks collapse before they begin"
    )
    story.refresh_from_db()
    assert story.headline == saved_headline
    reader = new_context().new_page()
    reader.goto(story.get_absolute_url())
    expect(reader.get_by_role("heading", level=1)).to_have_text(saved_headline)


def test_reporter_can_choose_only_draft_or_in_review(page, staff_member):
    log_in(page, staff_member("rory-reporter", "Reporters"))
    page.goto(reverse("admin:stories_story_add"))

    buttons = page.locator(".submit-row.workflow button")
    expect(buttons).to_have_text(["Save draft", "Submit for review"])


# --- Bugs met on the way ------------------------------------------------------------------


def test_two_new_sources_saved_together_are_numbered_in_order(editor_page):
    page = editor_page
    start_story(page)
    for index, source in enumerate(SOURCES):
        add_source(page, index, source)

    press(page, "Save and continue editing")

    expect(page.locator("#sources-group .has_original .field-number")).to_have_text(["[1]", "[2]"])


def test_story_saved_with_an_uncited_key_point_reopens_flagging_it(editor_page):
    page = editor_page
    start_story(page)
    add_source(page, 0, SOURCES[0])
    add_key_point(page, 0, KEY_POINT)

    press(page, "Save and continue editing")

    expect(page.locator(".messagelist .warning")).to_contain_text(KEY_POINT["heading"])
    expect(page.locator("#key_points-0 .field-cites .readonly")).to_have_text("⚠ No citation")


def test_timeline_saved_with_an_uncited_entry_reopens_flagging_it(editor_page):
    page = editor_page
    page.goto(reverse("admin:timelines_timeline_add"))
    page.get_by_label("Title").press_sequentially(TIMELINE_TITLE)
    add_entry(page, 0, ENTRY)

    press(page, "Save and continue editing")

    expect(page.locator("#entries-0 .field-cites .readonly")).to_have_text("⚠ No citation")


def test_new_timeline_entry_offers_the_story_sources_to_cite(editor_page):
    story = StoryFactory(timeline=TimelineFactory())
    article = SourceFactory(story=story).article
    page = editor_page
    page.goto(reverse("admin:timelines_timeline_change", args=[story.timeline.pk]))

    entry = add_entry(page, 0, ENTRY)

    # The new row is copied synchronously on the click: nothing to wait for.
    assert entry.get_by_label(f"[1] {article.outlet.name}: {article.title}").is_visible()


def test_story_screen_loads_every_static_file(editor_page):
    page = editor_page
    missing = []

    def note_missing(response):
        if "/static/" in response.url and not response.ok:
            missing.append(f"{response.status} {response.url}")

    page.on("response", note_missing)

    page.goto(reverse("admin:stories_story_add"))
    page.wait_for_load_state("networkidle")

    assert missing == []


def test_hero_image_preview_is_a_thumbnail(editor_page, media_root, tmp_path):
    tall_png = tmp_path / "tall.png"
    Image.new("RGB", (60, 600), (160, 32, 32)).save(tall_png)
    story = StoryFactory()
    hero = HeroImage(story=story, alt_text="A tall test image")
    with tall_png.open("rb") as upload:
        hero.image.save("tall.png", File(upload))
    page = editor_page

    page.goto(story_change_url(story))

    preview = page.locator(".field-preview img")
    expect(preview).to_have_js_property("naturalHeight", 600)  # loaded, not a broken icon
    assert preview.bounding_box()["height"] <= 120


def test_a_key_point_cites_sources_added_in_the_same_unsaved_form(editor_page):
    """No save just to unlock citing: a new source is offered to the key points at once,
    numbered as readers will see it, and the citation is written with the first save."""
    page = editor_page
    start_story(page)
    add_source(page, 0, SOURCES[0])
    key_point = add_key_point(page, 0, KEY_POINT)
    add_source(page, 1, SOURCES[1])  # after the key point: offered to it all the same
    expect(key_point.get_by_label(f"[1] New: {SOURCES[0]['title']}")).to_be_visible()
    key_point.get_by_label(f"[2] New: {SOURCES[1]['title']}").check()

    press(page, "Save and continue editing")

    expect(page.locator("#sources-group .has_original .field-number")).to_have_text(["[1]", "[2]"])
    expect(page.locator("#key_points-0 .field-cites .readonly")).to_have_text("[2]")


def test_a_timeline_made_from_the_story_screen_cites_its_unsaved_sources(editor_page):
    """No save just to unlock citing, for timelines either: the timeline field's "+" opens
    a timeline whose entries are offered the story's sources as its form stands."""
    page = editor_page
    start_story(page)
    add_source(page, 0, SOURCES[0])
    add_source(page, 1, SOURCES[1])

    with page.expect_popup() as opened:
        page.locator("#add_id_timeline").click()
    popup = opened.value
    popup.get_by_label("Title").press_sequentially(TIMELINE_TITLE)
    entry = add_entry(popup, 0, ENTRY)
    expect(entry.get_by_label(f"[1] {FIRST_SOURCE_CHOICE}")).to_be_visible()
    entry.get_by_label(f"[2] {SOURCES[1]['new_outlet']}: {SOURCES[1]['title']}").check()
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".field-timeline .select2-selection__rendered")).to_contain_text(
        TIMELINE_TITLE
    )
    press(page, "Save draft")
    story = Story.objects.get(slug=SLUG)
    (entry,) = story.timeline.entries.all()
    (cited,) = entry.citations.all()
    assert cited == story.sources.get(position=2).article
    assert Article.objects.count() == 2


def test_a_removed_new_source_is_no_longer_offered_and_the_rest_renumber(editor_page):
    page = editor_page
    start_story(page)
    add_source(page, 0, SOURCES[0])
    add_source(page, 1, SOURCES[1])
    key_point = add_key_point(page, 0, KEY_POINT)
    key_point.get_by_label(f"[2] New: {SOURCES[1]['title']}").check()

    page.locator("#sources-0 .inline-deletelink").click()

    expect(key_point.get_by_label(f"[1] New: {SOURCES[1]['title']}")).to_be_checked()
    expect(key_point.get_by_text(SOURCES[0]["title"])).to_have_count(0)
    press(page, "Save and continue editing")
    expect(page.locator("#key_points-0 .field-cites .readonly")).to_have_text("[1]")


def test_the_sources_table_fits_the_story_screen_at_1280_px(editor_page):
    """Nothing of the sources table is off-screen: every column, the drag handle and Delete."""
    page = editor_page
    story = seed_shaped_story()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(story_change_url(story))

    fits = page.evaluate(
        """() => {
          const group = document.querySelector('#sources-group').getBoundingClientRect();
          const table = document.querySelector('#sources-group table').getBoundingClientRect();
          const cells = [...document.querySelectorAll(
            '#sources-group tr.has_original td:not(.hidden), #sources-group thead th:not(.hidden)'
          )].filter((cell) => cell.offsetParent !== null);
          const outside = cells.filter((cell) => {
            const box = cell.getBoundingClientRect();
            return box.right > group.right + 1 || box.left < group.left - 1;
          });
          return {
            table: Math.round(table.width), group: Math.round(group.width),
            page: document.documentElement.scrollWidth, outside: outside.length,
            rows: document.querySelectorAll('#sources-group tr.has_original').length,
          };
        }"""
    )
    assert fits["rows"] == 10, fits
    assert fits["table"] <= fits["group"] and fits["outside"] == 0, fits
    assert fits["page"] <= 1280, fits
    delete = page.locator("#sources-group tr.has_original td.delete input").first
    delete.scroll_into_view_if_needed()
    expect(delete).to_be_in_viewport()  # scrolled to vertically: nothing to scroll sideways


def test_pasting_a_url_on_a_known_outlets_site_chooses_that_outlet(editor_page):
    OutletFactory(name="Harbor Gazette", website="https://www.harbor-gazette.example/")
    page = editor_page
    start_story(page)
    page.get_by_role("button", name="Add another Source").click()
    url = page.locator("[name='sources-0-url']")
    outlet = page.locator("[name='sources-0-outlet']")

    url.fill("https://news.harbor-gazette.example/2025/talks")
    expect(outlet.locator("option:checked")).to_have_text("Harbor Gazette")
    url.fill("https://elsewhere.example/2025/talks")  # chosen for the URL: follows it
    expect(outlet).to_have_value("")
    outlet.select_option(label="Harbor Gazette")  # the editor's own choice stays
    url.fill("https://elsewhere.example/2025/other")
    expect(outlet.locator("option:checked")).to_have_text("Harbor Gazette")


def test_the_live_preview_follows_the_editor_as_they_type(editor_page, homepage_feed):
    """Beside the form, the page as readers will see it, updated as the editor types;
    nothing is saved."""
    story = seed_shaped_story(feeds=[homepage_feed])
    saved_headline = story.headline
    page = editor_page
    page.goto(story_change_url(story))

    page.get_by_role("button", name="Live preview").click()
    preview = page.frame_locator("#live-preview iframe")
    expect(preview.get_by_role("heading", level=1)).to_have_text(saved_headline)

    page.get_by_role("textbox", name="Headline:").fill("Talks collapse before they begin")

    expect(preview.get_by_role("heading", level=1)).to_have_text(
        "Talks collapse before they begin", timeout=10_000
    )
    # Side by side: the preview sits to the right of the form, both in view.
    form_box = page.locator("#story_form").bounding_box()
    preview_box = page.locator("#live-preview").bounding_box()
    assert preview_box["x"] >= form_box["x"] + form_box["width"] - 1
    story.refresh_from_db()
    assert story.headline == saved_headline


def test_another_editor_opens_the_live_previews_address(editor_page, staff_member, new_context):
    story = seed_shaped_story()
    page = editor_page
    page.goto(story_change_url(story))
    page.get_by_role("button", name="Live preview").click()
    page.get_by_role("textbox", name="Headline:").fill("Talks collapse before they begin")
    share = page.locator("#live-preview .live-preview__share a")
    expect(share).to_have_text(re.compile(r"/admin/stories/story/preview/"), timeout=10_000)
    expect(
        page.frame_locator("#live-preview iframe").get_by_role("heading", level=1)
    ).to_have_text("Talks collapse before they begin", timeout=10_000)

    colleague = new_context().new_page()
    log_in(colleague, staff_member("cora-colleague", "Editors"))
    colleague.goto(share.get_attribute("href"))

    expect(colleague.get_by_role("heading", level=1)).to_have_text(
        "Talks collapse before they begin"
    )
    expect(colleague.locator(".preview-banner")).to_contain_text("unsaved changes")


def test_the_live_preview_says_what_keeps_it_from_showing(editor_page):
    story = seed_shaped_story()
    page = editor_page
    page.goto(story_change_url(story))
    page.get_by_role("button", name="Live preview").click()

    page.get_by_role("textbox", name="Headline:").fill("")

    expect(page.locator("#live-preview .live-preview__status")).to_contain_text(
        "Headline", timeout=10_000
    )


def test_the_admin_pages_editors_work_in_need_no_sideways_scrolling_at_1280_px(editor_page):
    story = seed_shaped_story()
    pages = [
        reverse("admin:index"),
        reverse("admin:stories_story_changelist"),
        story_change_url(story),
        reverse("admin:stories_story_add"),
        reverse("admin:stories_story_history", args=[story.pk]),
        reverse("admin:timelines_timeline_change", args=[story.timeline.pk]),
    ]
    page = editor_page
    for path in pages:
        page.goto(path)
        widths = page.evaluate(
            "() => ({page: document.documentElement.scrollWidth, view: window.innerWidth})"
        )
        assert widths["page"] <= widths["view"] == 1280, (path, widths)
