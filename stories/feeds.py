"""RSS 2.0 and Atom syndication of the home page feed and of each topic feed."""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed as SyndicationFeed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from newsroom import derived
from newsroom.addresses import absolute_url

from .models import Feed, Story

ITEMS = 30
# Characters XML 1.0 cannot carry at all; editors paste them from word processors.
XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text):
    return XML_INVALID.sub("", text)


class StoriesRSS(SyndicationFeed):
    # RSS leaves a reader to guess whether a title or description is HTML, and readers guess
    # HTML as soon as text looks like it (feedparser does): RSS carries every text escaped,
    # which reads as the same text either way. Atom declares its titles text and its
    # summaries HTML, so only the summaries are escaped there.
    titles_are_html = True

    def text(self, value):
        value = xml_safe(value)
        return escape(value) if self.titles_are_html else value

    def get_object(self, request, slug=None):
        if slug is None:
            return Feed.objects.filter(is_homepage=True).first()
        return get_object_or_404(Feed, slug=slug)

    def title(self, feed):
        name = feed.name if feed else "Top Headlines"
        return self.text(f"{name} — {settings.SITE_NAME}")

    # Absolute addresses from SITE_URL (newsroom.addresses), not from the request's host.
    def link(self, feed):
        return absolute_url(feed.get_absolute_url() if feed else reverse("stories:home"))

    def feed_url(self, feed):
        if feed is None or feed.is_homepage:
            return absolute_url(reverse(self.url_names[0]))
        return absolute_url(reverse(self.url_names[1], kwargs={"slug": feed.slug}))

    def item_link(self, story):
        return absolute_url(story.get_absolute_url())

    def description(self, feed):
        description = feed.description if feed else ""
        return self.text(description or f"The latest coverage from {settings.SITE_NAME}.")

    def items(self, feed):
        stories = Story.objects.published().for_syndication()
        if feed is not None:
            stories = stories.filter(feeds=feed)
        return derived.fresh_all(lambda: list(stories.order_by("-updated_at", "-pk")[:ITEMS]))

    def item_title(self, story):
        return self.text(story.headline)

    def item_description(self, story):
        # A description is HTML to every reader, in RSS and Atom alike.
        return escape(xml_safe(story.summary or story.lede))

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        return story.updated_at

    url_names = ("stories:rss", "stories:feed_rss")


class StoriesAtom(StoriesRSS):
    feed_type = Atom1Feed
    titles_are_html = False
    subtitle = StoriesRSS.description
    url_names = ("stories:atom", "stories:feed_atom")
