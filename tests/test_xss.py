"""Cross-site scripting: every known vector, in every text readers see, on every public surface.

Each vector of tests/xss_vectors.py goes into every public text field of one published story
(its feeds, outlet, article, hero image, key points, videos, resources, notes and timeline).
Then every public page must come out with nothing executable in it, HTML pages and XML alike,
whether the story was built with the ORM or loaded by `load_stories`. URL fields must refuse
script URLs in validation and in the database, and escape markup inside valid http(s) URLs.
"""

import copy
import datetime
import xml.etree.ElementTree as ET

import feedparser
import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from markupsafe import escape

from newsroom import derived
from stories.models import Article, ExternalResource, HeroImage, Outlet, Story, Video
from tests.admin_helpers import form_data
from tests.factories import (
    ArticleFactory,
    EntryCitationFactory,
    ExternalResourceFactory,
    FeedFactory,
    HeroImageFactory,
    KeyPointCitationFactory,
    KeyPointFactory,
    OutletFactory,
    PublishedStoryFactory,
    SourceFactory,
    StoryFactory,
    StoryNoteFactory,
    TimelineEntryFactory,
    TimelineFactory,
    VideoFactory,
)
from tests.xss_vectors import (
    PAYLOAD_URLS,
    UNSAFE_URLS,
    VECTOR_PARAMS,
    VECTORS,
    XML_ILLEGAL,
    audit_html,
    read_as_html,
)

pytestmark = pytest.mark.django_db

# A word only the story's second key point holds: searching for it finds the story.
SEARCH_WORD = "quillmarrow"
ATOM = "{http://www.w3.org/2005/Atom}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def test_corpus_has_at_least_fifty_vectors():
    assert len(VECTORS) >= 50


def test_every_vector_fits_the_narrowest_public_field():
    assert len(set(VECTORS)) == len(VECTORS)
    assert all(0 < len(vector) <= 90 for vector in VECTORS)  # Feed.name holds 100


def test_the_oracle_flags_each_kind_of_executable_markup():
    """audit_html must not pass a page because it overlooks what it is looking for."""
    dangerous = [
        "<script>alert(1)</script>",
        '<script src="https://evil.example/x.js"></script>',
        '<script type="application/ld+json">{"a": </script>',
        "<img src=x onerror=alert(1)>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="DATA:text/html,x">x</a>',
        '<form><button formaction="vbscript:x">x</button></form>',
        '<iframe src="https://example.com/"></iframe>',
        '<meta http-equiv="refresh" content="0">',
        '<base href="https://evil.example/">',
        '<link rel="import" href="x">',
        '<p style="color:red">x</p>',
        "<style>p{}</style>",
        "<svg/onload=alert(1)>",
        "<details>x</details>",
    ]
    for markup in dangerous:
        assert audit_html(markup).problems, markup
    assert not audit_html('<p><a href="https://example.com/">x</a></p>').problems


# --- One story with the vector in every text field readers see ----------------------------


def publish_everywhere(text):
    """A published story, its feeds and its timeline, with `text` in every public text field."""
    with derived.batch():  # build the stored pages once, at the end
        story, topic = _publish_everywhere(text)
    story.refresh_from_db()
    return story, topic


def _publish_everywhere(text):
    home = FeedFactory(name=text, description=text, is_homepage=True)
    topic = FeedFactory(name=f"{text} (topic)", description=text)
    timeline = TimelineFactory(title=text, description=text)
    story = PublishedStoryFactory(
        headline=text, summary=text, timeline=timeline, feeds=[home, topic]
    )
    HeroImageFactory(story=story, alt_text=text, caption=text, credit=text, source_name=text)
    article = ArticleFactory(outlet=OutletFactory(name=text), title=text, author=text)
    source = SourceFactory(story=story, article=article, position=1)
    key_point = KeyPointFactory(story=story, heading=text, body=text, position=1)
    KeyPointCitationFactory(key_point=key_point, source=source)
    KeyPointFactory(story=story, heading=f"A {SEARCH_WORD} appears", body="Plain.", position=2)
    VideoFactory(
        story=story, title=text, provider="youtube", url="https://www.youtube.com/watch?v=a1"
    )
    ExternalResourceFactory(story=story, title=text, description=text)
    StoryNoteFactory(story=story, text=text)
    entry = TimelineEntryFactory(timeline=timeline, text=text)
    EntryCitationFactory(entry=entry, article=article)
    return story, topic


def html_pages(story, topic):
    return {
        "home": reverse("stories:home"),
        "topic feed": topic.get_absolute_url(),
        "story": story.get_absolute_url(),
        "timeline": story.timeline.get_absolute_url(),
        "search": f"{reverse('stories:search')}?q={SEARCH_WORD}",
    }


def xml_pages(topic):
    return {
        "rss": reverse("stories:rss"),
        "atom": reverse("stories:atom"),
        "topic rss": reverse("stories:feed_rss", kwargs={"slug": topic.slug}),
        "topic atom": reverse("stories:feed_atom", kwargs={"slug": topic.slug}),
        "sitemap": reverse("sitemap"),
        "news sitemap": reverse("news_sitemap"),
    }


def assert_html_pages_are_inert(client, story, topic, shown):
    """Every HTML page shows `shown` as text, and nothing in it can run."""
    for name, url in html_pages(story, topic).items():
        response = client.get(url)
        assert response.status_code == 200, name
        content = response.content.decode()
        audit = audit_html(content)
        assert audit.problems == [], f"{name} ({url})"
        assert str(escape(shown)) in content, f"{name} does not show the text, escaped"
        if name == "story":
            assert f"<h1>{escape(shown)}</h1>" in content
            [json_ld] = audit.json_ld
            assert json_ld["headline"] == shown
            assert json_ld["citation"][0]["publisher"]["name"] == shown


def parse_xml(response, name):
    assert response.status_code == 200, name
    return ET.fromstring(response.content)  # raises ParseError when not well-formed


def assert_xml_pages_hold_text_only(client, topic, shown):
    """Every feed and sitemap parses, and its titles hold `shown` as text, no elements.

    XML cannot carry C0 control characters at all: the feeds leave them out."""
    shown = XML_ILLEGAL.sub("", shown)
    for name, url in xml_pages(topic).items():
        root = parse_xml(client.get(url), name)
        if name.endswith("rss"):
            channel = root.find("channel")
            [item] = channel.findall("item")
            # RSS readers guess titles and descriptions are HTML when they look like it:
            # read as HTML, each shows the text and nothing else.
            for field in (item.find("title"), channel.find("description")):
                assert len(field) == 0, name
                assert read_as_html(field.text) == ([], shown), name
        elif name.endswith("atom"):
            [entry] = root.findall(f"{ATOM}entry")
            title = entry.find(f"{ATOM}title")
            assert title.text == shown and len(title) == 0, name
            assert root.find(f"{ATOM}subtitle").text == shown, name
        elif name == "news sitemap":
            [title] = root.iter(f"{NEWS}title")
            assert title.text == shown and len(title) == 0
        for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
            assert loc.text.startswith(settings.SITE_URL + "/"), loc.text


@pytest.fixture
def reader(client):
    """An anonymous reader whose server errors come back as responses, not exceptions."""
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_html_pages_show_the_vector_as_inert_text(reader, vector):
    story, topic = publish_everywhere(vector)
    assert_html_pages_are_inert(reader, story, topic, vector)


@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_feeds_and_sitemaps_stay_well_formed_with_the_vector_as_text(reader, request, vector):
    _, topic = publish_everywhere(vector)
    assert_xml_pages_hold_text_only(reader, topic, vector)


@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_feed_readers_are_given_the_summary_as_text_not_markup(reader, vector):
    """RSS <description> and Atom <summary type="html"> are HTML to a feed reader."""
    home = FeedFactory(name="Top Headlines", is_homepage=True)
    PublishedStoryFactory(headline="A plain headline", summary=vector, feeds=[home])
    rss = parse_xml(reader.get(reverse("stories:rss")), "rss")
    atom = parse_xml(reader.get(reverse("stories:atom")), "atom")
    summary = atom.find(f"{ATOM}entry/{ATOM}summary")
    assert summary.get("type") == "html"
    for description in (rss.find("channel/item/description").text, summary.text):
        tags, text = read_as_html(description)
        assert tags == [] and text == XML_ILLEGAL.sub("", vector)


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "description",
    ],
)
def test_a_control_character_typed_in_the_admin_never_breaks_the_feeds(
    admin_client, reader, field
):
    feed = FeedFactory(name="Top Headlines", slug="top-headlines", is_homepage=True)
    PublishedStoryFactory(headline="Soft\x0bbreak", summary="Soft\x0bbreak", feeds=[feed])
    change_url = reverse("admin:stories_feed_change", args=[feed.pk])
    # The form as the admin renders it: a form without the version it was opened at is
    # refused as stale (newsroom.editing.StaleFormCheck).
    form = form_data(admin_client.get(change_url))
    form[field] = "Top\x0bHeadlines"
    response = admin_client.post(change_url, form)
    assert response.status_code == 302  # saved
    for url in (reverse("stories:rss"), reverse("stories:atom"), reverse("news_sitemap")):
        response = reader.get(url)
        assert response.status_code == 200, url
        ET.fromstring(response.content)


@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_search_reflects_the_query_as_inert_text(client, vector):
    response = client.get(reverse("stories:search"), {"q": vector})
    assert response.status_code == 200
    audit = audit_html(response.content)
    assert audit.problems == []
    assert str(escape(vector.strip()[:200])) in response.content.decode()


# --- Every syndication field, as a real feed reader reads it ----------------------------------

HTML_TYPES = {"text/html", "application/xhtml+xml"}


def reader_fields(parsed):
    """(place, type, value) of every text field feedparser found, feed and entries alike."""
    parts = [("feed", parsed.feed), *((f"entry {i}", e) for i, e in enumerate(parsed.entries))]
    for where, part in parts:
        for key, detail in part.items():
            if key.endswith("_detail") and isinstance(detail, dict) and "value" in detail:
                yield f"{where}.{key}", detail["type"], detail["value"]
        for i, content in enumerate(part.get("content", [])):
            yield f"{where}.content[{i}]", content["type"], content["value"]


@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_every_syndication_field_reaches_a_feed_reader_as_inert_text(reader, vector):
    """feedparser, its sanitizer off, says which fields a reader renders as HTML: those hold
    no markup at all (the rest are text by type). Sitemaps and JSON-LD carry text too."""
    story, topic = publish_everywhere(vector)
    shown = XML_ILLEGAL.sub("", vector)
    for name, url in xml_pages(topic).items():
        response = reader.get(url)
        assert response.status_code == 200, name
        if "sitemap" in name:
            for title in parse_xml(response, name).iter(f"{NEWS}title"):
                assert title.text == shown and len(title) == 0, name
            continue
        parsed = feedparser.parse(response.content, sanitize_html=False)
        assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')}"
        fields = list(reader_fields(parsed))
        assert {place for place, _, _ in fields} >= {"feed.title_detail", "feed.subtitle_detail"}
        for place, kind, value in fields:
            if kind in HTML_TYPES:
                assert audit_html(value).problems == [], f"{name} {place}: {value!r}"
                tags, _ = read_as_html(value)
                assert tags == [], f"{name} {place}: {value!r}"
    [json_ld] = audit_html(reader.get(story.get_absolute_url()).content).json_ld
    assert json_ld["headline"] == vector
    assert json_ld["citation"][0]["publisher"]["name"] == vector


# --- URL fields ------------------------------------------------------------------------------

URL_FIELDS = [
    pytest.param(Article, "url", id="article-url"),
    pytest.param(HeroImage, "image_url", id="hero-image-url"),
    pytest.param(HeroImage, "source_url", id="hero-source-url"),
    pytest.param(HeroImage, "full_size_url", id="hero-full-size-url"),
    pytest.param(Video, "url", id="video-url"),
    pytest.param(Video, "thumbnail_url", id="video-thumbnail-url"),
    pytest.param(ExternalResource, "url", id="resource-url"),
    pytest.param(Outlet, "website", id="outlet-website"),
]


def unsaved(model, **values):
    """An unsaved row of `model` with valid parents, overridden by `values`."""
    if model is Article:
        return ArticleFactory.build(outlet=OutletFactory(), **values)
    if model is Outlet:
        return OutletFactory.build(**values)
    factory = {
        HeroImage: HeroImageFactory,
        Video: VideoFactory,
        ExternalResource: ExternalResourceFactory,
    }[model]
    return factory.build(story=StoryFactory(), **values)


@pytest.mark.parametrize("url", UNSAFE_URLS)
@pytest.mark.parametrize(("model", "field"), URL_FIELDS)
def test_url_field_refuses_script_urls_in_validation(model, field, url):
    instance = unsaved(model, **{field: url})
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    assert field in caught.value.message_dict


@pytest.mark.parametrize("url", UNSAFE_URLS)
@pytest.mark.parametrize(("model", "field"), URL_FIELDS)
def test_url_field_refuses_script_urls_in_the_database(model, field, url):
    instance = unsaved(model, **{field: url})
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()


@pytest.mark.parametrize(("model", "field"), URL_FIELDS)
def test_url_field_takes_an_upper_case_scheme_alike_on_every_database(request, model, field):
    """URLValidator lower-cases the scheme; the CHECK's startswith is case-sensitive on
    PostgreSQL (SQLite's LIKE is not), so HTTPS://... passes validation on one only."""
    instance = unsaved(model, **{field: "HTTPS://EXAMPLE.COM/upper"})
    instance.full_clean()
    instance.save()


def story_with_payload_urls():
    """A published story whose every URL field holds a valid URL that carries markup."""
    urls = iter(PAYLOAD_URLS * 2)
    with derived.batch():
        home = FeedFactory(name="Top Headlines", is_homepage=True)
        timeline = TimelineFactory()
        story = PublishedStoryFactory(timeline=timeline, feeds=[home])
        HeroImageFactory(
            story=story, image_url=next(urls), source_url=next(urls), full_size_url=next(urls)
        )
        outlet = OutletFactory(website=next(urls))
        article = ArticleFactory(outlet=outlet, url=next(urls))
        SourceFactory(story=story, article=article, position=1)
        VideoFactory(story=story, url=next(urls), thumbnail_url=next(urls))
        youtube = f"https://www.youtube.com/watch?v={next(urls)}"
        VideoFactory(story=story, provider="youtube", url=youtube)
        ExternalResourceFactory(story=story, url=next(urls))
        entry = TimelineEntryFactory(timeline=timeline)
        EntryCitationFactory(entry=entry, article=ArticleFactory(url=next(urls)))
    for model in (HeroImage, Video, Article, Outlet, ExternalResource):
        for instance in model.objects.all():
            instance.full_clean()  # every URL above is one an editor could save
    return story


def test_urls_carrying_markup_stay_inside_their_attributes(client):
    story = story_with_payload_urls()
    stored = {
        *HeroImage.objects.values_list("image_url", "source_url", "full_size_url")[0],
        *Video.objects.exclude(provider="youtube").values_list("url", "thumbnail_url")[0],
        *ExternalResource.objects.values_list("url", flat=True),
        *Article.objects.values_list("url", flat=True),
    }
    for url in (
        story.get_absolute_url(),
        story.timeline.get_absolute_url(),
        reverse("stories:home"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        audit = audit_html(response.content)
        assert audit.problems == [], url
        if url == story.get_absolute_url():
            # Each URL reached the browser whole, as one attribute value.
            assert stored <= {value for _, _, value in audit.attributes}
            [embed] = [value for _, name, value in audit.attributes if name == "data-embed"]
            assert embed.startswith("https://www.youtube-nocookie.com/embed/")
            [json_ld] = audit.json_ld
            assert json_ld["citation"][0]["url"] in stored


# --- The same corpus through load_stories -----------------------------------------------------


def an_hour_ago():
    return (timezone.now() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def story_document(text):
    """A story document with `text` in every text field and safe URLs everywhere."""
    return {
        "slug": "vector-story",
        "headline": text,
        "summary": text,
        "status": "published",
        "published_at": an_hour_ago(),
        "feeds": [
            {"slug": "top-headlines", "name": text, "description": text, "is_homepage": True},
            {"slug": "topic", "name": f"{text} (topic)", "description": text},
        ],
        "hero_image": {
            "image_url": "https://example.org/hero.jpg",
            "alt_text": text,
            "caption": text,
            "credit": text,
            "source_name": text,
            "source_url": "https://example.org/hero-source",
            "full_size_url": "https://example.org/hero-full.jpg",
        },
        "outlets": [{"slug": "outlet", "name": text, "website": "https://example.org/"}],
        "sources": [
            {"url": "https://example.com/a/1", "outlet": "outlet", "title": text, "author": text}
        ],
        "key_points": [
            {"heading": text, "body": text, "cites": [1]},
            {"heading": f"A {SEARCH_WORD} appears", "body": "Plain."},
        ],
        "videos": [
            {
                "title": text,
                "url": "https://www.youtube.com/watch?v=a1",
                "provider": "youtube",
                "thumbnail_url": "https://example.org/thumb.jpg",
            }
        ],
        "resources": [{"title": text, "url": "https://example.com/r", "description": text}],
        "notes": [{"kind": "update", "text": text, "created_at": an_hour_ago()}],
        "timeline": {
            "slug": "vector-timeline",
            "title": text,
            "description": text,
            "entries": [
                {
                    "date": "2025-12-11",
                    "text": text,
                    "cites": [1],
                    "cites_articles": [
                        {"url": "https://example.com/a/2", "outlet": "outlet", "title": text}
                    ],
                }
            ],
        },
    }


def write_document(tmp_path, document):
    path = tmp_path / "story.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def load(path):
    call_command("load_stories", str(path), verbosity=0)


def snapshot():
    """Every row of every newsroom table, to prove that a refused load wrote nothing."""
    return {
        model._meta.label: sorted(
            model.objects.values_list(), key=lambda row: tuple(map(str, row))
        )
        for label in ("stories", "timelines")
        for model in apps.get_app_config(label).get_models()
    }


@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_loaded_documents_render_the_vector_as_inert_text(reader, request, tmp_path, vector):
    """The loader either refuses the document outright, or what it stores renders inert."""
    load(write_document(tmp_path, story_document("A safe story")))
    before = snapshot()
    try:
        load(write_document(tmp_path, story_document(vector)))
    except CommandError as refusal:
        assert "Nothing was loaded" in str(refusal)
        assert snapshot() == before
        return
    # What the loader stores: the text as YAML reads it back, trimmed.
    shown = yaml.safe_load(yaml.safe_dump(vector, allow_unicode=True)).strip()
    story = Story.objects.get(slug="vector-story")
    assert story.headline == shown
    topic = story.feeds.get(slug="topic")
    assert_html_pages_are_inert(reader, story, topic, shown)
    assert_xml_pages_hold_text_only(reader, topic, shown)


DOCUMENT_URL_FIELDS = [
    pytest.param(("outlets", 0, "website"), "outlets[0].website", id="outlet-website"),
    pytest.param(("sources", 0, "url"), "sources[0]", id="source-url"),
    pytest.param(("hero_image", "image_url"), "hero_image", id="hero-image-url"),
    pytest.param(("hero_image", "source_url"), "hero_image", id="hero-source-url"),
    pytest.param(("hero_image", "full_size_url"), "hero_image", id="hero-full-size-url"),
    pytest.param(("videos", 0, "url"), "videos[0]", id="video-url"),
    pytest.param(("videos", 0, "thumbnail_url"), "videos[0]", id="video-thumbnail-url"),
    pytest.param(("resources", 0, "url"), "resources[0]", id="resource-url"),
    pytest.param(
        ("timeline", "entries", 0, "cites_articles", 0, "url"),
        "timeline.entries[0].cites_articles[0]",
        id="timeline-article-url",
    ),
]


@pytest.mark.parametrize(("path", "place"), DOCUMENT_URL_FIELDS)
def test_loader_refuses_script_urls_and_writes_nothing(tmp_path, path, place):
    load(write_document(tmp_path, story_document("A safe story")))
    before = snapshot()
    for param in UNSAFE_URLS:
        [url] = param.values
        document = copy.deepcopy(story_document("A changed story"))
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = url
        with pytest.raises(CommandError) as caught:
            load(write_document(tmp_path, document))
        assert place in str(caught.value), url
        assert "Nothing was loaded" in str(caught.value)
        assert snapshot() == before, url


def test_loader_refuses_a_nul_character_with_a_command_error(tmp_path):
    """Forms refuse NUL (ProhibitNullCharactersValidator); the loader must too, on any database
    (PostgreSQL cannot store it at all)."""
    load(write_document(tmp_path, story_document("A safe story")))
    before = snapshot()
    document = story_document("A changed story")
    document["headline"] = "<scr\x00ipt>alert(1)</scr\x00ipt>"
    with pytest.raises(CommandError) as refusal:
        load(write_document(tmp_path, document))
    assert "headline" in str(refusal.value)
    assert snapshot() == before
