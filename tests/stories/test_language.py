"""A story and a source title carry their language; pages mark it (lang, and dir for a
right-to-left script), so that screen readers pronounce it and Arabic runs right to left."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from stories.fields import text_direction
from tests.factories import seed_shaped_story

from .test_loader import seed_document, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def arabic_story(homepage_feed):
    story = seed_shaped_story(
        feeds=[homepage_feed],
        headline="محادثات بين الرئيسين في البيت الأبيض",
        slug="arabic-story",
        language="ar",
    )
    article = story.sources.first().article
    article.language = "es"
    article.title = "Petro y Trump se reúnen en la Casa Blanca"
    article.save()
    return story


def test_story_page_marks_the_story_text_with_its_language(client, parse_html, arabic_story):
    page = parse_html(client.get(arabic_story.get_absolute_url()))

    h1 = page.find("h1")
    assert (h1.attrs["lang"], h1.attrs["dir"]) == ("ar", "rtl")
    headings = page.find_all("strong", class_="key-point__heading")
    bodies = page.find_all("div", class_="key-point__body")
    assert headings and all(h.attrs.get("lang") == "ar" for h in headings)
    assert all((b.attrs.get("lang"), b.attrs.get("dir")) == ("ar", "rtl") for b in bodies)
    # The page's own words stay the site's: the section headings carry no lang.
    assert "lang" not in page.find("h2", id="key-points-heading").attrs


def test_a_source_title_is_marked_with_its_language(client, parse_html, arabic_story):
    page = parse_html(client.get(arabic_story.get_absolute_url()))

    titles = [a for a in page.find_all("a", class_="article-title") if a.attrs.get("lang") == "es"]
    assert titles and all(a.attrs["dir"] == "ltr" for a in titles)
    assert titles[0].text == "Petro y Trump se reúnen en la Casa Blanca"


def test_the_feed_card_is_marked_and_structured_data_names_the_language(
    client, parse_html, arabic_story
):
    feed = parse_html(client.get(reverse("stories:home")))
    card_headline = feed.find("h2", class_="story-card__headline")
    assert (card_headline.attrs["lang"], card_headline.attrs["dir"]) == ("ar", "rtl")

    page = parse_html(client.get(arabic_story.get_absolute_url()))
    (script,) = [
        s for s in page.find_all("script") if s.attrs.get("type") == "application/ld+json"
    ]
    assert json.loads(script.text)["inLanguage"] == "ar"


def test_a_story_in_the_site_language_carries_no_lang(client, parse_html, published_story):
    page = parse_html(client.get(published_story.get_absolute_url()))

    assert "lang" not in page.find("h1").attrs


@pytest.mark.parametrize(
    ("tag", "direction"),
    [
        ("ar", "rtl"),
        ("ar-EG", "rtl"),
        ("he", "rtl"),
        ("fa", "rtl"),
        ("es", "ltr"),
        ("pt-BR", "ltr"),
        ("ja", "ltr"),
        ("zz", "ltr"),
    ],
)
def test_text_direction_follows_the_script(tag, direction):
    assert text_direction(tag) == direction


@pytest.mark.parametrize("tag", ["english", "e", "es_ES", "ar-", '"><script>'])
def test_a_language_that_is_no_tag_is_refused(arabic_story, tag):
    arabic_story.language = tag
    with pytest.raises(ValidationError) as error:
        arabic_story.full_clean()
    assert "language" in error.value.message_dict


def test_the_loader_reads_and_checks_languages(tmp_path):
    document = seed_document()
    document["language"] = "es"
    document["sources"][0]["language"] = "pt-BR"
    call_command("load_stories", str(write(tmp_path, document)), verbosity=0)

    document["language"] = "español"
    with pytest.raises(CommandError, match=r"story.yaml: language: "):
        call_command("load_stories", str(write(tmp_path, document)), verbosity=0)
