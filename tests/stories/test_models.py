"""Story models: database constraints and their messages, deletion rules, the published rule."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from stories.models import (
    Article,
    ExternalResource,
    HeroImage,
    KeyPoint,
    KeyPointCitation,
    Source,
    Story,
    Video,
)
from tests.factories import (
    ArticleFactory,
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
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def validation_errors(instance):
    """What full_clean() reports, by field ("__all__" for the model's constraints)."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def an_hour(direction=-1):
    return timezone.now() + direction * datetime.timedelta(hours=1)


# --- Unique slugs, URLs and the home page feed -------------------------------------------


def test_two_stories_cannot_share_a_slug():
    StoryFactory(slug="petro-talks")
    with pytest.raises(IntegrityError), transaction.atomic():
        StoryFactory(slug="petro-talks")


def test_story_slug_clash_is_reported_on_the_slug():
    StoryFactory(slug="petro-talks")
    story = StoryFactory.build(slug="petro-talks")
    assert validation_errors(story) == {"slug": ["Story with this Slug already exists."]}


def test_two_articles_cannot_share_a_url():
    ArticleFactory(url="https://example.com/news/talks")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(url="https://example.com/news/talks")


def test_two_feeds_cannot_share_a_slug():
    FeedFactory(slug="latin-america")
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedFactory(slug="latin-america")


def test_only_one_feed_can_be_the_home_page_feed():
    FeedFactory(is_homepage=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedFactory(is_homepage=True)


def test_second_home_page_feed_is_reported_by_full_clean():
    FeedFactory(is_homepage=True)
    feed = FeedFactory.build(is_homepage=True)
    assert validation_errors(feed) == {"__all__": ["Another feed is already the home page feed."]}


def test_any_number_of_feeds_can_stay_off_the_home_page():
    FeedFactory.create_batch(3, is_homepage=False)


# --- Positions of a story's items ----------------------------------------------------------

STORY_ITEMS = [
    pytest.param(SourceFactory, "Two sources of this story have the same position.", id="source"),
    pytest.param(
        KeyPointFactory, "Two key points of this story have the same position.", id="key-point"
    ),
    pytest.param(VideoFactory, "Two videos of this story have the same position.", id="video"),
    pytest.param(
        ExternalResourceFactory,
        "Two resources of this story have the same position.",
        id="resource",
    ),
]


@pytest.mark.parametrize(("factory", "message"), STORY_ITEMS)
def test_two_items_of_a_story_cannot_share_a_position(factory, message):
    first = factory(position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(story=first.story, position=1)


@pytest.mark.parametrize(("factory", "message"), STORY_ITEMS)
def test_shared_position_is_reported_by_full_clean(factory, message):
    first = factory(position=1)
    second = factory(story=first.story, position=2)
    second.position = 1
    assert validation_errors(second) == {"__all__": [message]}


@pytest.mark.parametrize(("factory", "message"), STORY_ITEMS)
def test_items_of_different_stories_may_share_a_position(factory, message):
    factory(position=1)
    factory(position=1)


# --- Sources and citations -----------------------------------------------------------------


def test_an_article_cannot_be_a_source_of_one_story_twice():
    source = SourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(story=source.story, article=source.article)


def test_repeated_source_article_is_reported_by_full_clean():
    source = SourceFactory()
    again = SourceFactory.build(story=source.story, article=source.article)
    assert validation_errors(again) == {
        "__all__": ["This article is already a source of the story."]
    }


def test_an_article_can_be_a_source_of_several_stories():
    source = SourceFactory()
    SourceFactory(article=source.article)
    assert source.article.sources.count() == 2


def test_a_key_point_cannot_cite_the_same_source_twice():
    citation = KeyPointCitationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyPointCitationFactory(key_point=citation.key_point, source=citation.source)


def test_repeated_key_point_citation_is_reported_by_full_clean():
    citation = KeyPointCitationFactory()
    again = KeyPointCitationFactory.build(key_point=citation.key_point, source=citation.source)
    assert validation_errors(again) == {"__all__": ["The key point already cites this source."]}


# --- http(s) URLs only --------------------------------------------------------------------

URL_FIELDS = [
    pytest.param(ArticleFactory, "url", id="article-url"),
    pytest.param(OutletFactory, "website", id="outlet-website"),
    pytest.param(HeroImageFactory, "image_url", id="hero-image-url"),
    pytest.param(HeroImageFactory, "source_url", id="hero-source-url"),
    pytest.param(HeroImageFactory, "full_size_url", id="hero-full-size-url"),
    pytest.param(VideoFactory, "url", id="video-url"),
    pytest.param(VideoFactory, "thumbnail_url", id="video-thumbnail-url"),
    pytest.param(ExternalResourceFactory, "url", id="resource-url"),
]
NON_HTTP_URLS = ["javascript:alert(1)", "ftp://example.com/file.txt"]


@pytest.mark.parametrize("url", NON_HTTP_URLS)
@pytest.mark.parametrize(("factory", "field"), URL_FIELDS)
def test_non_http_url_is_refused_by_the_database(factory, field, url):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**{field: url})


@pytest.mark.parametrize("url", NON_HTTP_URLS)
@pytest.mark.parametrize(("factory", "field"), URL_FIELDS)
def test_non_http_url_is_reported_by_full_clean(factory, field, url):
    instance = factory()
    setattr(instance, field, url)
    assert validation_errors(instance) == {field: ["Enter a valid URL."]}


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        pytest.param(OutletFactory, "website", id="outlet-website"),
        pytest.param(HeroImageFactory, "source_url", id="hero-source-url"),
        pytest.param(HeroImageFactory, "full_size_url", id="hero-full-size-url"),
        pytest.param(VideoFactory, "thumbnail_url", id="video-thumbnail-url"),
    ],
)
def test_optional_url_may_be_left_empty(factory, field):
    instance = factory(**{field: ""})
    instance.full_clean()


# --- Texts that must say something --------------------------------------------------------

REQUIRED_TEXTS = [
    pytest.param(StoryFactory, "headline", "The headline must not be empty.", id="story-headline"),
    pytest.param(FeedFactory, "name", "The name must not be empty.", id="feed-name"),
    pytest.param(HeroImageFactory, "alt_text", "The alt text must not be empty.", id="alt-text"),
    pytest.param(OutletFactory, "name", "The name must not be empty.", id="outlet-name"),
    pytest.param(ArticleFactory, "title", "The title must not be empty.", id="article-title"),
    pytest.param(KeyPointFactory, "heading", "The heading must not be empty.", id="kp-heading"),
    pytest.param(KeyPointFactory, "body", "The body must not be empty.", id="kp-body"),
    pytest.param(VideoFactory, "title", "The title must not be empty.", id="video-title"),
    pytest.param(
        ExternalResourceFactory, "title", "The title must not be empty.", id="resource-title"
    ),
    pytest.param(StoryNoteFactory, "text", "The text must not be empty.", id="note-text"),
]


@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
@pytest.mark.parametrize(("factory", "field", "message"), REQUIRED_TEXTS)
def test_blank_text_is_refused_by_the_database(factory, field, message, blank):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**{field: blank})


@pytest.mark.parametrize(("factory", "field", "message"), REQUIRED_TEXTS)
def test_empty_text_is_reported_as_a_required_field(factory, field, message):
    instance = factory()
    setattr(instance, field, "")
    assert validation_errors(instance) == {field: ["This field cannot be blank."]}


@pytest.mark.parametrize(("factory", "field", "message"), REQUIRED_TEXTS)
def test_text_of_spaces_is_reported_by_full_clean(factory, field, message):
    instance = factory()
    setattr(instance, field, "   ")
    assert validation_errors(instance) == {"__all__": [message]}


def test_text_of_tabs_and_newlines_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyPointFactory(body="\n\t\n")


def test_key_point_cannot_cite_another_storys_source():
    key_point = KeyPointFactory()
    foreign_source = SourceFactory()
    citation = KeyPointCitation(key_point=key_point, source=foreign_source)
    with pytest.raises(ValidationError, match="only cite its own story's sources"):
        citation.full_clean()


# --- Hero image ----------------------------------------------------------------------------


def test_hero_image_needs_an_upload_or_an_image_url():
    with pytest.raises(IntegrityError), transaction.atomic():
        HeroImageFactory(image="", image_url="")


def test_hero_image_without_an_image_is_reported_by_full_clean():
    hero_image = HeroImageFactory()
    hero_image.image_url = ""
    assert validation_errors(hero_image) == {
        "__all__": ["Upload an image or give a remote image URL."]
    }


def test_hero_image_may_be_an_upload_without_an_image_url():
    hero_image = HeroImageFactory(image="stories/2025/12/talks.jpg", image_url="")
    assert HeroImage.objects.get(pk=hero_image.pk).image.name == "stories/2025/12/talks.jpg"


# --- Publication ---------------------------------------------------------------------------


def test_published_story_needs_its_published_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        StoryFactory(status=Story.Status.PUBLISHED, published_at=None)


def test_published_story_without_a_time_is_reported_by_full_clean():
    story = StoryFactory()
    story.status = Story.Status.PUBLISHED
    assert validation_errors(story) == {
        "__all__": ["A published story needs its first-published time."]
    }


def test_draft_story_needs_no_published_time():
    story = StoryFactory(published_at=None)
    story.full_clean()


def test_published_includes_a_story_published_in_the_past():
    story = PublishedStoryFactory()
    assert list(Story.objects.published()) == [story]


@pytest.mark.parametrize(
    "status", [Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.ARCHIVED]
)
def test_published_excludes_stories_that_are_not_published(status):
    StoryFactory(status=status, published_at=an_hour(-1))
    assert not Story.objects.published().exists()


def test_published_excludes_a_story_scheduled_for_later():
    PublishedStoryFactory(published_at=an_hour(+1))
    assert not Story.objects.published().exists()


# --- Deleting ------------------------------------------------------------------------------


def test_a_cited_source_cannot_be_deleted():
    citation = KeyPointCitationFactory()
    with pytest.raises(RestrictedError), transaction.atomic():
        citation.source.delete()
    assert Source.objects.filter(pk=citation.source.pk).exists()


def test_a_source_no_key_point_cites_can_be_deleted():
    source = SourceFactory()
    source.delete()
    assert not Source.objects.exists()


def test_deleting_a_story_deletes_everything_it_lists(story):
    story.delete()
    for model in (HeroImage, Source, KeyPoint, KeyPointCitation, Video, ExternalResource):
        assert not model.objects.exists(), model.__name__


def test_deleting_a_story_keeps_the_articles_it_cited(story):
    articles = Article.objects.count()
    story.delete()
    assert Article.objects.count() == articles


def test_an_article_listed_as_a_source_cannot_be_deleted():
    source = SourceFactory()
    with pytest.raises(RestrictedError), transaction.atomic():
        source.article.delete()
    assert Article.objects.filter(pk=source.article.pk).exists()


def test_an_unused_article_can_be_deleted():
    ArticleFactory().delete()
    assert not Article.objects.exists()


def test_an_outlet_with_articles_cannot_be_deleted():
    article = ArticleFactory()
    with pytest.raises(ProtectedError), transaction.atomic():
        article.outlet.delete()


# --- Rendering and names --------------------------------------------------------------------


def test_key_point_body_is_stored_as_sanitized_html():
    key_point = KeyPointFactory(body="**Talks** resume <script>alert(1)</script>")
    assert key_point.body_html.startswith("<p><strong>Talks</strong> resume")
    assert "<script>" not in key_point.body_html


@pytest.mark.parametrize(
    ("factory", "attributes"),
    [
        pytest.param(FeedFactory, {"name": "Latin America"}, id="feed"),
        pytest.param(StoryFactory, {"headline": "Trump and Petro talk"}, id="story"),
        pytest.param(HeroImageFactory, {"alt_text": "Two presidents"}, id="hero-image"),
        pytest.param(OutletFactory, {"name": "BBC"}, id="outlet"),
        pytest.param(KeyPointFactory, {"heading": "Talks resume"}, id="key-point"),
        pytest.param(VideoFactory, {"title": "The press conference"}, id="video"),
        pytest.param(ExternalResourceFactory, {"title": "The treaty text"}, id="resource"),
    ],
)
def test_str_is_the_name_readers_see(factory, attributes):
    assert str(factory(**attributes)) == next(iter(attributes.values()))


def test_article_str_names_its_outlet():
    article = ArticleFactory(outlet__name="BBC", title="Talks resume")
    assert str(article) == "BBC: Talks resume"


def test_source_str_is_its_article():
    source = SourceFactory(article__outlet__name="BBC", article__title="Talks resume")
    assert str(source) == "BBC: Talks resume"


def test_key_point_citation_str_links_point_and_source():
    citation = KeyPointCitationFactory(
        key_point__heading="Talks resume",
        source__article__outlet__name="BBC",
        source__article__title="Leaders meet",
    )
    assert str(citation) == "Talks resume → BBC: Leaders meet"


def test_story_note_str_gives_kind_and_start_of_text():
    note = StoryNoteFactory(kind="correction", text="x" * 100)
    assert str(note) == "Correction: " + "x" * 60


# --- Factories -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [
        FeedFactory,
        StoryFactory,
        PublishedStoryFactory,
        HeroImageFactory,
        OutletFactory,
        ArticleFactory,
        SourceFactory,
        KeyPointFactory,
        KeyPointCitationFactory,
        VideoFactory,
        ExternalResourceFactory,
        StoryNoteFactory,
    ],
)
def test_factory_builds_a_row_that_passes_full_clean(factory):
    factory().full_clean()


def test_seed_shaped_story_is_published_with_every_section(story):
    assert Story.objects.published().get() == story
    assert story.hero_image.image_url
    assert story.sources.count() == 10
    assert story.sources.values("article__outlet").distinct().count() == 3
    assert story.key_points.count() == 5
    assert story.videos.count() == 1
    assert story.resources.count() == 3
    assert story.timeline.entries.count() == 12
    assert 1 <= story.feeds.count() <= 2


def test_each_seed_key_point_cites_one_or_two_sources_of_its_story(story):
    for key_point in story.key_points.all():
        assert 1 <= key_point.citations.count() <= 2
        assert set(key_point.citations.values_list("story", flat=True)) == {story.pk}


def test_a_cited_source_goes_with_the_key_points_citing_it_whatever_the_order():
    """History's revert removes the rows a story did not have then one kind at a time, in
    no fixed order (reversion's Collector): a source collected before the key point citing
    it must not be refused when the key point goes in the same deletion."""
    from django.db.models.deletion import Collector

    citation = KeyPointCitationFactory()
    collector = Collector(using="default")
    collector.collect([citation.source])
    collector.collect([citation.key_point])
    collector.delete()

    assert not Source.objects.exists()
    assert not KeyPointCitation.objects.exists()
