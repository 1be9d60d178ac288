"""axe-core (Deque's engine, as axe-playwright-python ships it) on every public page type of
the seed story and of the every-feature story (Spanish, with Arabic), in Chromium at desktop
and phone widths: no serious or critical violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from stories.models import Feed, Story
from tests.e2e.conftest import DESKTOP

PHONE_390 = {"width": 390, "height": 844}
BLOCKING = {"serious", "critical"}


@pytest.fixture
def stories(transactional_db, tmp_path, settings):
    from tests.test_html_validity import load_both

    settings.MEDIA_ROOT = tmp_path / "media"
    load_both(tmp_path)
    return list(Story.objects.order_by("slug"))


def public_pages(stories):
    topic = Feed.objects.filter(is_homepage=False).first()
    pages = {
        "home": reverse("stories:home"),
        "topic feed": topic.get_absolute_url(),
        "search": reverse("stories:search") + "?q=bogota",
    }
    for story in stories:
        pages[f"story {story.slug}"] = story.get_absolute_url()
        pages[f"timeline {story.slug}"] = story.timeline.get_absolute_url()
    return pages


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_390], ids=["1280px", "390px"])
def test_public_pages_have_no_serious_accessibility_violation(new_context, stories, viewport):
    page = new_context(viewport=viewport).new_page()
    found = {}
    for name, path in public_pages(stories).items():
        assert page.goto(path).ok, name
        results = Axe().run(page)
        found[name] = [
            f"{violation['impact']}: {violation['id']} ({len(violation['nodes'])} nodes)"
            for violation in results.response["violations"]
            if violation["impact"] in BLOCKING
        ]
    assert {name: problems for name, problems in found.items() if problems} == {}


# --- The admin: the editor's desk --------------------------------------------------------------


def admin_pages(story):
    return {
        "home (the desk)": reverse("admin:index"),
        "story list": reverse("admin:stories_story_changelist"),
        "story form": reverse("admin:stories_story_change", args=[story.pk]),
        "new story form": reverse("admin:stories_story_add"),
        "story history": reverse("admin:stories_story_history", args=[story.pk]),
        "story history compare": compare_path(story),
        "timeline form": reverse("admin:timelines_timeline_change", args=[story.timeline_id]),
    }


def compare_path(story):
    """History's compare view of the story as loaded and as edited since: its headline
    changed word by word, a key point's citations removed, a key point added."""
    import reversion
    from reversion.models import Version

    loaded = Version.objects.get_for_object(story).first()
    story.headline = f"{story.headline} (updated)"
    story.save()
    story.key_points.first().citation_links.all().delete()
    story.key_points.create(heading="A key point added", body="What *changed*.", position=999)
    with reversion.create_revision():
        reversion.add_to_revision(story)
    edited = Version.objects.get_for_object(story).first()
    address = reverse("admin:stories_story_compare", args=[story.pk])
    return f"{address}?version_id1={loaded.pk}&version_id2={edited.pk}"


def test_the_admin_pages_editors_work_in_have_no_serious_accessibility_violation(
    new_context, stories, live_server
):
    from django.contrib.auth import get_user_model

    from tests.e2e.test_admin_flow import PASSWORD, log_in

    editor = get_user_model().objects.create_superuser("axe-editor", "axe@example.com", PASSWORD)
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, editor)
    found = {}
    for name, path in admin_pages(stories[0]).items():
        assert page.goto(path).ok, name
        results = Axe().run(page)
        found[name] = [
            f"{violation['impact']}: {violation['id']} ({len(violation['nodes'])} nodes: "
            f"{violation['nodes'][0]['target']})"
            for violation in results.response["violations"]
            if violation["impact"] in BLOCKING
        ]
    problems = {name: problems for name, problems in found.items() if problems}
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())
