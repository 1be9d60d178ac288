"""sitemap.xml and news-sitemap.xml against the sitemap protocol's schema and Google News's
(tests/schemas: written from the published specifications; the suite runs offline), with
lxml as crawlers' tools parse them."""

from pathlib import Path

import pytest
from django.urls import reverse
from lxml import etree

from tests.factories import PublishedStoryFactory

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "schemas" / "sitemap.xsd")))
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"

pytestmark = pytest.mark.django_db


def validated(response):
    assert response.status_code == 200
    document = etree.fromstring(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    SCHEMA.assertValid(document)
    return document


@pytest.mark.parametrize("name", ["sitemap", "news_sitemap"])
def test_sitemaps_follow_their_schemas(client, published_story, name):
    PublishedStoryFactory(headline="Talks <resume> & “continue”", language="pt-BR")

    validated(client.get(reverse(name)))


def test_the_news_sitemap_gives_each_story_its_language(client):
    PublishedStoryFactory(headline="Elecciones regionales", language="es")
    PublishedStoryFactory(headline="Talks resume")

    document = validated(client.get(reverse("news_sitemap")))

    languages = sorted(element.text for element in document.iter(f"{NEWS}language"))
    assert languages == ["en", "es"]


@pytest.mark.parametrize(
    "document",
    [
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        b' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        b"<url><loc>https://example.org/x/</loc>"
        b"<news:news><news:title>x</news:title></news:news></url></urlset>",
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://example.org/x/</loc><priority>2</priority></url></urlset>",
    ],
    ids=["empty urlset", "news without its publication", "priority over 1"],
)
def test_the_schemas_refuse_what_the_specifications_do(document):
    """The schemas are written out here: they must catch what a crawler would refuse."""
    assert not SCHEMA.validate(etree.fromstring(document))
