"""Uploaded pictures reach readers as renditions (WebP and JPEG at a few widths), never at
full size unless they follow "Full size"."""

import io
import random
import re
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from stories import renditions
from stories.models import HeroImage
from tests.factories import seed_shaped_story

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def photo(width=4000, height=3000):
    """A photo-sized JPEG: noise does not compress, so it weighs what a camera's does."""
    noise = random.Random(7).randbytes(width * height * 3 // 16)
    small = Image.frombytes("RGB", (width // 4, height // 4), noise)
    out = io.BytesIO()
    small.resize((width, height), Image.NEAREST).save(out, "JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def story_with_photo(homepage_feed):
    story = seed_shaped_story(feeds=[homepage_feed])
    hero = story.hero_image
    hero.image.save("photo.jpg", ContentFile(photo()), save=False)
    hero.image_url = ""
    hero.save()  # as the admin saves an upload; the page is rebuilt after it
    return story


def srcsets(page_html):
    return re.findall(r'srcset="([^"]+)"', page_html)


def test_a_large_upload_is_served_as_renditions(client, story_with_photo, media):
    hero = HeroImage.objects.get()
    html = client.get(story_with_photo.get_absolute_url()).content.decode()

    assert len(default_storage.open(hero.image.name).read()) > 2_000_000
    webp, jpeg = srcsets(html.split('<figure class="hero">')[1])[:2]
    assert re.findall(r" (\d+)w", webp) == ["480", "960", "1600"]
    assert re.findall(r" (\d+)w", jpeg) == ["480", "960", "1600"]
    for width in renditions.HERO_WIDTHS:
        for extension, kind in (("webp", "WEBP"), ("jpg", "JPEG")):
            name = renditions.rendition_name(hero.image.name, width, extension)
            with default_storage.open(name) as stored, Image.open(stored) as picture:
                assert (picture.format, picture.size) == (kind, (width, width * 3 // 4))
    figure = html.split('<figure class="hero">')[1].split("</figure>")[0]
    assert 'width="4000" height="3000"' in figure  # the aspect, for no layout shift
    # The original only behind "Full size".
    original = hero.image.url
    assert html.count(original) == 1
    assert f'<a href="{original}" rel="noopener noreferrer nofollow">Full size</a>' in html


def test_link_previews_and_cards_use_renditions(client, parse_html, story_with_photo):
    hero = HeroImage.objects.get()
    page = parse_html(client.get(story_with_photo.get_absolute_url()))

    og_image = page.find("meta", property="og:image").attrs["content"]
    assert og_image.endswith(renditions.rendition_name(hero.image.name, 1600, "jpg"))
    feed = client.get(reverse("stories:home")).content.decode()
    card = feed.split('class="story-card"')[1].split("</article>")[0]
    assert hero.image.url not in card
    assert renditions.rendition_name(hero.image.name, 480, "webp") in card


def test_a_small_upload_is_never_enlarged(homepage_feed):
    story = seed_shaped_story(feeds=[homepage_feed])
    hero = story.hero_image
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "navy").save(out, "PNG")
    hero.image.save("small.png", ContentFile(out.getvalue()), save=False)
    hero.save()

    picture = HeroImage.objects.get().picture
    picture.ensure()

    assert picture.widths == [300]
    with default_storage.open(renditions.rendition_name(hero.image.name, 300, "jpg")) as f:
        assert Image.open(f).size == (300, 200)


def test_making_the_renditions_of_a_6_mb_photo_stays_quick(homepage_feed, capsys):
    """Not a timed assertion (a slow machine is no bug): the figure, for the record."""
    story = seed_shaped_story(feeds=[homepage_feed])
    hero = story.hero_image
    hero.image.save("big.jpg", ContentFile(photo(6000, 4000)), save=False)
    hero.save()
    picture = HeroImage.objects.get().picture
    for width in picture.widths:
        for extension in ("webp", "jpg"):
            default_storage.delete(renditions.rendition_name(hero.image.name, width, extension))

    started = time.perf_counter()
    picture.ensure()
    with capsys.disabled():
        size = default_storage.size(hero.image.name)
        print(
            f"\nrenditions of a {size / 1e6:.1f} MB photo: {time.perf_counter() - started:.2f} s"
        )


def test_an_upload_missing_from_media_leaves_the_page_served(client, story_with_photo):
    """A lost or broken file never fails a save or a page: the page links the file as it
    is named, and the renditions are made once it is back."""
    hero = HeroImage.objects.get()
    for width in renditions.HERO_WIDTHS:
        for extension in ("webp", "jpg"):
            default_storage.delete(renditions.rendition_name(hero.image.name, width, extension))
    default_storage.delete(hero.image.name)
    hero.caption = "Edited after the file was lost"
    hero.save()

    response = client.get(story_with_photo.get_absolute_url())

    assert response.status_code == 200
    assert "Edited after the file was lost" in response.content.decode()
    assert f'src="{hero.image.url}"' in response.content.decode()
    feed = client.get(reverse("stories:home")).content.decode()
    assert f'src="{hero.image.url}"' in feed and "renditions/" not in feed
