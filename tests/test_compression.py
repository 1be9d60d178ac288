"""Text responses compressed for the clients that accept it, cached pages included."""

import gzip

import brotli
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def decoded(response):
    match response.get("Content-Encoding"):
        case "br":
            return brotli.decompress(body(response))
        case "gzip":
            return gzip.decompress(body(response))
        case None:
            return body(response)


def vary(response):
    return {name.strip().lower() for name in response.get("Vary", "").split(",")}


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip, deflate, br, zstd", "br"),  # Chromium's
        ("gzip, deflate", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("*", "br"),
        ("identity", None),
        ("", None),
    ],
)
def test_story_page_is_compressed_as_the_client_accepts(client, published_story, accept, encoding):
    plain = client.get(published_story.get_absolute_url())

    response = client.get(published_story.get_absolute_url(), HTTP_ACCEPT_ENCODING=accept)

    assert response.get("Content-Encoding") == encoding
    assert "accept-encoding" in vary(response)
    assert decoded(response) == plain.content
    if encoding:
        assert len(body(response)) < len(plain.content) / 3


def test_cached_pages_keep_one_copy_per_encoding(client, published_story):
    url = published_story.get_absolute_url()
    first = {accept: client.get(url, HTTP_ACCEPT_ENCODING=accept) for accept in ("br", "gzip", "")}

    again = {accept: client.get(url, HTTP_ACCEPT_ENCODING=accept) for accept in ("gzip", "", "br")}

    for accept, response in again.items():
        assert response.get("Content-Encoding") == first[accept].get("Content-Encoding")
        assert decoded(response) == decoded(first[accept])


@pytest.mark.parametrize("name", ["stories:rss", "stories:atom", "sitemap"])
def test_feeds_and_sitemaps_are_compressed(client, published_story, name):
    response = client.get(reverse(name), HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert decoded(response).startswith(b"<?xml")


def test_pages_for_a_logged_in_editor_are_not_compressed(client, editor):
    """Admin pages carry a CSRF token: no compression, no BREACH."""
    client.force_login(editor)

    response = client.get(reverse("admin:index"), HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert "Content-Encoding" not in response


def test_a_conditional_request_for_a_compressed_page_is_answered_not_modified(
    client, published_story
):
    url = published_story.get_absolute_url()
    first = client.get(url, HTTP_ACCEPT_ENCODING="br")

    again = client.get(
        url, HTTP_ACCEPT_ENCODING="br", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )

    assert again.status_code == 304
