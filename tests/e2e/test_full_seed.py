"""The whole seed story built through the admin, in Chromium, as a newsroom builds it.

A reporter types the seed story from fixtures/ into the story screen: the hero image, all
ten sources, the five key points citing them, the video, the three resources, and (from the
timeline field's "+") the twelve-entry timeline citing the same sources, none of them saved
yet. One save of the timeline, one "Submit for review". An editor finds it on the desk and
sends it back with a comment; the reporter, seeing the comment, submits it again; the editor
publishes it. The page readers get then equals the one `load_stories` makes from the file.

Everything a person does is counted (Desk): clicks (ticks and choices too), fields typed,
page loads (pop-ups' too) and saves (form posts that write). Before this desk, a reduced
story (hero image, 3 sources from 2 outlets, 2 key points, 1 video, 1 resource, 4 entries)
took 36 clicks, 43 fields, 8 page loads and 5 saves; test_a_reduced_story_* measures the
same story now.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from stories.documents import read_story
from stories.models import Article, Feed, Outlet, Story
from tests.e2e.conftest import PASSWORD
from timelines.models import Timeline

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SEED = FIXTURES / "us-colombia-trump-petro-talks.yaml"


class Desk:
    """A person at the admin: does what the test asks through Playwright, and counts it."""

    def __init__(self, context):
        self.clicks = self.typed = self.loads = self.saves = 0
        context.on("page", self.watch)  # pop-ups too
        self.page = context.new_page()

    def watch(self, page):
        page.on("load", lambda _: self._loaded())
        page.on("request", self._requested)

    def _loaded(self):
        self.loads += 1

    def _requested(self, request):
        writes = request.method == "POST" and request.is_navigation_request()
        if writes and reverse("admin:login") not in request.url:
            self.saves += 1

    def counts(self):
        return {
            "clicks": self.clicks,
            "typed": self.typed,
            "loads": self.loads,
            "saves": self.saves,
        }

    # --- What a person does ----------------------------------------------------------------

    def open(self, path):
        """Type an address (or follow a bookmark): one click, one page load."""
        self.clicks += 1
        self.page.goto(path)

    def click(self, locator):
        self.clicks += 1
        locator.click()

    def tick(self, locator):
        self.clicks += 1
        locator.check()

    def choose(self, select, label):
        self.clicks += 1
        select.select_option(label=label)

    def upload(self, file_input, path):
        self.clicks += 1  # "Choose file", and the file picked
        file_input.set_input_files(path)

    def type(self, box, text):
        """Type into a box, if there is anything to type."""
        if text:
            self.typed += 1
            box.fill(str(text))

    def press(self, button, page=None):
        """Press a button that submits the form, and wait for the admin to say it is done."""
        page = page or self.page
        with page.expect_navigation():
            self.click(page.get_by_role("button", name=button, exact=True))
        errors = page.locator("p.errornote, ul.errorlist").all_inner_texts()
        assert not errors, f"“{button}” was refused:\n" + "\n".join(errors)

    def log_in(self, user):
        self.page.goto(reverse("admin:login"))  # where a person starts: not counted
        self.type(self.page.get_by_label("Username"), user.username)
        self.type(self.page.get_by_label("Password"), PASSWORD)
        with self.page.expect_navigation():
            self.click(self.page.get_by_role("button", name="Log in"))
        expect(self.page.get_by_role("heading", name="Site administration")).to_be_visible()


# --- The story, typed from the fixture -----------------------------------------------------


def local_parts(moment):
    """A time as the admin's date and time boxes take it: in the newsroom's time zone."""
    moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")


def build_story(desk, doc):
    """Type `doc` (a schema.Story) into a new story screen, its timeline in the pop-up;
    nothing saved but the timeline. Returns the story screen's page."""
    page = desk.page
    desk.click(page.locator("tr.model-story a.addlink"))
    desk.type(page.get_by_role("textbox", name="Headline:"), doc.headline)
    desk.type(page.get_by_label("Summary"), doc.summary)
    # The seed's own short slug, over the one made from the headline.
    desk.type(page.get_by_label("Slug"), doc.slug)
    expect(page.get_by_label("Slug")).to_have_value(doc.slug)
    for feed in doc.feeds:
        desk.tick(page.locator("#id_feeds").get_by_label(feed.name))

    hero = doc.hero_image
    desk.upload(page.locator("#id_hero_image-0-image"), FIXTURES / hero.image)
    for name in ("alt_text", "caption", "credit", "source_name", "source_url"):
        desk.type(page.locator(f"#id_hero_image-0-{name}"), getattr(hero, name))

    outlets = {outlet.slug: outlet.name for outlet in doc.outlets}
    for index, source in enumerate(doc.sources):
        desk.click(page.get_by_role("button", name="Add another Source"))
        row = page.locator(f"#sources-{index}")
        desk.type(row.locator(f"[name='sources-{index}-url']"), source.url)
        desk.type(row.locator(f"[name='sources-{index}-title']"), source.title)
        # No outlet is saved yet: each row names its outlet as a new one.
        desk.type(row.locator(f"[name='sources-{index}-new_outlet']"), outlets[source.outlet])
        desk.type(row.locator(f"[name='sources-{index}-author']"), source.author)
        if source.published_at:
            day, time = local_parts(source.published_at)
            desk.type(row.locator(f"[name='sources-{index}-published_0']"), day)
            desk.type(row.locator(f"[name='sources-{index}-published_1']"), time)

    def source_label(n):
        source = doc.sources[n - 1]
        return f"[{n}] {outlets[source.outlet]}: {source.title}"

    for index, point in enumerate(doc.key_points):
        desk.click(page.get_by_role("button", name="Add another Key point"))
        form = page.locator(f"#key_points-{index}")
        desk.type(form.get_by_label("Heading"), point.heading)
        desk.type(form.get_by_label("Body"), point.body)
        for n in point.cites:
            desk.tick(form.get_by_label(f"[{n}] New: {doc.sources[n - 1].title}"))

    for index, video in enumerate(doc.videos):
        desk.click(page.get_by_role("button", name="Add another Video"))
        for name in ("title", "url", "thumbnail_url"):
            desk.type(page.locator(f"[name='videos-{index}-{name}']"), getattr(video, name))
        if video.thumbnail:
            desk.upload(
                page.locator(f"[name='videos-{index}-thumbnail']"), FIXTURES / video.thumbnail
            )
        if video.duration:
            seconds = int(video.duration.total_seconds())
            duration = f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"
            desk.type(page.locator(f"[name='videos-{index}-duration']"), duration)

    for index, resource in enumerate(doc.resources):
        desk.click(page.get_by_role("button", name="Add another External resource"))
        for name in ("title", "url", "description"):
            desk.type(page.locator(f"[name='resources-{index}-{name}']"), getattr(resource, name))

    # The timeline, from the timeline field's "+": its entries cite the unsaved sources.
    timeline = doc.timeline
    with page.expect_popup() as opened:
        desk.click(page.locator("#add_id_timeline"))
    popup = opened.value
    desk.type(popup.get_by_label("Title"), timeline.title)
    desk.type(popup.get_by_label("Description"), timeline.description)
    desk.type(popup.get_by_label("Slug"), timeline.slug)
    expect(popup.get_by_label("Slug")).to_have_value(timeline.slug)
    for index, entry in enumerate(timeline.entries):
        desk.click(popup.get_by_role("button", name="Add another Timeline entry"))
        form = popup.locator(f"#entries-{index}")
        desk.type(form.get_by_label("Date"), entry.date)
        if entry.precision == "future":
            desk.tick(form.get_by_label("Future"))
        desk.type(form.get_by_label("Text"), entry.text)
        for n in entry.cites:
            desk.tick(form.get_by_label(source_label(n)))
    with popup.expect_event("close"):
        desk.click(popup.get_by_role("button", name="Save", exact=True))
    expect(page.locator(".field-timeline .select2-selection__rendered")).to_contain_text(
        timeline.title
    )
    return page


def prepared_newsroom(doc):
    """What an administrator sets up before anyone writes: the feeds."""
    for feed in doc.feeds:
        Feed.objects.create(
            slug=feed.slug,
            name=feed.name,
            description=feed.description,
            nav_position=feed.nav_position,
            is_homepage=feed.is_homepage,
        )


# --- The page readers get ------------------------------------------------------------------

# What differs between any two builds of one story: where its media files were put, how
# long ago it was updated, and the notes of updates made after it was first published.
MEDIA_ADDRESS = re.compile(r'(src|srcset|href)="/media/[^"]*"')
UPDATES = re.compile(r'<section class="updates".*?</section>', re.S)


def page_body(reader, slug):
    reader.goto(reverse("stories:story", kwargs={"slug": slug}))
    html = reader.locator("article.story").inner_html()
    html = re.sub(r'<p class="meta">.*?</p>', "", html, count=1, flags=re.S)
    html = UPDATES.sub("", html)
    return MEDIA_ADDRESS.sub(r'\1="/media/…"', html).strip()


def loaded_from_the_file(reader, slug):
    """The page load_stories makes of the fixture, in a newsroom emptied of the story."""
    Story.objects.all().delete()
    Timeline.objects.all().delete()
    Article.objects.all().delete()
    Outlet.objects.all().delete()
    call_command("load_stories", str(SEED), verbosity=0)
    return page_body(reader, slug)


# --- The tests -----------------------------------------------------------------------------


@pytest.fixture
def seed():
    return read_story(SEED)


def test_a_reporter_builds_the_whole_seed_and_an_editor_publishes_it(
    new_context, staff_member, media_root, seed
):
    prepared_newsroom(seed)
    reporter = Desk(new_context())
    reporter.log_in(staff_member("rory-reporter", "Reporters"))
    editor = Desk(new_context())
    editor.log_in(staff_member("edna-editor", "Editors"))
    logged_in = reporter.counts()

    # The reporter: the whole story in one form, the timeline in its pop-up.
    page = build_story(reporter, seed)
    reporter.press("Submit for review")
    built = {key: reporter.counts()[key] - logged_in[key] for key in logged_in}
    print("Reporter, from the desk to “Submit for review”:", built)
    # Saves: the timeline (its own record, in its pop-up) and the story. None just to
    # unlock citing: the key points and entries cited the sources before any was saved.
    assert built["saves"] == 2
    assert built["loads"] <= 4  # the desk's story form, the pop-up, the list after saving

    # The editor finds it on the desk and sends it back with a word to the reporter.
    editor.open(reverse("admin:index"))
    editor.click(editor.page.locator(".desk__queue a", has_text=seed.headline))
    editor.type(editor.page.get_by_label("Comment for the reporter"), "Name the ELN in full once.")
    editor.press("Send back to reporter")

    # The reporter sees the comment on the story, and submits it again.
    reporter.click(page.locator("#result_list").get_by_role("link", name=seed.headline))
    expect(page.locator(".status-panel__review")).to_contain_text("Name the ELN in full once.")
    reporter.press("Submit for review")

    # The editor publishes it.
    editor.open(reverse("admin:index"))
    editor.click(editor.page.locator(".desk__queue a", has_text=seed.headline))
    editor.press("Publish now")
    print("Editor, review and publication:", editor.counts())
    print("Reporter, all:", reporter.counts())
    assert editor.saves == 2 and reporter.saves == 3

    story = Story.objects.get(slug=seed.slug)
    assert story.is_public
    assert [source.article.title for source in story.sources.select_related("article")] == [
        source.title for source in seed.sources
    ]
    reader = new_context().new_page()
    built_page = page_body(reader, seed.slug)
    assert built_page == loaded_from_the_file(reader, seed.slug)


def reduced(doc):
    """The story the desk was first measured with: the hero image, 3 sources from 2
    outlets, 2 key points, 1 video, 1 resource and 4 timeline entries (the seed's, with the
    citations renumbered)."""
    kept = [1, 2, 4]  # sources [1], [2] and [4]: Example Wire, BBC, Example Wire
    renumber = {old: new for new, old in enumerate(kept, start=1)}
    entries = [
        entry.model_copy(update={"cites": [renumber[n] for n in entry.cites]})
        for entry in doc.timeline.entries
        if entry.cites and all(n in renumber for n in entry.cites)
    ]
    sources = [doc.sources[n - 1] for n in kept]
    return doc.model_copy(
        update={
            "sources": sources,
            "outlets": [o for o in doc.outlets if o.slug in {s.outlet for s in sources}],
            "key_points": doc.key_points[:2],
            "videos": doc.videos[:1],
            "resources": doc.resources[:1],
            "timeline": doc.timeline.model_copy(update={"entries": entries[:4]}),
        }
    )


def test_a_reduced_story_takes_fewer_steps_than_before_the_desk(
    new_context, staff_member, media_root, seed
):
    doc = reduced(seed)
    assert (len(doc.sources), len(doc.outlets), len(doc.timeline.entries)) == (3, 2, 4)
    prepared_newsroom(doc)
    editor = Desk(new_context())
    editor.log_in(staff_member("edna-editor", "Editors"))
    logged_in = editor.counts()

    build_story(editor, doc)
    editor.press("Publish now")

    took = {key: editor.counts()[key] - logged_in[key] for key in logged_in}
    print("Reduced story, editor, from the desk to “Publish now”:", took)
    before = {"clicks": 36, "typed": 43, "loads": 8, "saves": 5}
    assert took["loads"] < before["loads"]
    assert took["saves"] < before["saves"]
    assert took["clicks"] < before["clicks"]
    assert Story.objects.get(slug=doc.slug).is_public
