"""axe-core (Deque's engine, as axe-playwright-python ships it) on every public page type of
the seed story, in Chromium at desktop and phone widths: no serious or critical violation."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.urls import reverse

from stories.models import Feed, Story
from tests.e2e.conftest import DESKTOP

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PHONE_390 = {"width": 390, "height": 844}
BLOCKING = {"serious", "critical"}


@pytest.fixture
def seed(transactional_db):
    call_command("load_stories", str(FIXTURES), verbosity=0)
    return Story.objects.get()


def public_pages(story):
    topic = Feed.objects.filter(is_homepage=False).first()
    return {
        "home": reverse("stories:home"),
        "topic feed": topic.get_absolute_url(),
        "story": story.get_absolute_url(),
        "timeline": story.timeline.get_absolute_url(),
        "search": reverse("stories:search") + "?q=petro",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_390], ids=["1280px", "390px"])
def test_public_pages_have_no_serious_accessibility_violation(new_context, seed, viewport):
    page = new_context(viewport=viewport).new_page()
    found = {}
    for name, path in public_pages(seed).items():
        assert page.goto(path).ok, name
        results = Axe().run(page)
        found[name] = [
            f"{violation['impact']}: {violation['id']} ({len(violation['nodes'])} nodes)"
            for violation in results.response["violations"]
            if violation["impact"] in BLOCKING
        ]
    assert {name: problems for name, problems in found.items() if problems} == {}
