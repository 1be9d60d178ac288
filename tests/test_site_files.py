"""Files every browser asks a site for, and how uploaded media are cached."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_found(client):
    """Browsers and crawlers ask for /favicon.ico whatever the page says: no 404 each time."""
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00", "an ICO file"


def test_pages_name_their_icon(client, parse_html):
    page = parse_html(client.get(reverse("stories:home")))

    icons = {link.attrs["type"]: link.attrs["href"] for link in page.find_all("link", rel="icon")}
    assert set(icons) == {"image/svg+xml", "image/x-icon"}
    for href in icons.values():
        assert client.get(href).status_code == 200


def test_uploaded_media_are_cached_by_browsers(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("stories/2026/12/photo.jpg", ContentFile(b"\xff\xd8\xff\xe0jpeg"))

    response = client.get(f"/media/{name}")

    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "max-age=86400" in response["Cache-Control"]
