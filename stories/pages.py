"""A story page's stored parts: its body, its card for feeds, its structured data, its
search text.

The derived-data seam (newsroom.derived) reads stories with PAGE_READ and stores what
columns() returns whenever something the page shows changes. A page view then reads one row
and renders only what depends on the moment: "Updated 2 hours ago", the preview banner.
"""

import json

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.templatetags.static import static

from newsroom.addresses import absolute_url
from newsroom.citations import Citable, cite, cited_ids, string_agg
from timelines.models import TimelineEntry

from .models import Article, KeyPoint, Source

# The newsroom's logo, as structured data names the publisher's (512 px square).
LOGO = "newsroom-logo.png"
# Escapes that keep JSON inside a <script> element from ending it early.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

# What a page lists, read for a whole batch of stories at once, one query per kind of item.
PAGE_READ = [
    Prefetch("timeline__entries", TimelineEntry.objects.for_pages(), to_attr="page_entries"),
    Prefetch("sources", Source.objects.select_related("article__outlet"), to_attr="page_sources"),
    Prefetch(
        "key_points",
        KeyPoint.objects.annotate(
            cited_ids=string_agg("citation_links__source__article_id")
        ).order_by("position"),
        to_attr="page_key_points",
    ),
    "videos",
    "resources",
    "notes",
]


class StoryPage:
    """Everything on a story page, for rendering its body."""

    def __init__(self, story):
        """`story` read with PAGE_READ prefetched (and its hero image and timeline)."""
        self.story = story
        self.timeline = story.timeline
        entries = self.timeline.page_entries if self.timeline else []
        self.citables = self._number_articles(entries)
        self.key_points = cite(story.page_key_points, self.citables)
        self.entries = cite(entries, self.citables)
        self.videos = list(story.videos.all())
        self.resources = list(story.resources.all())
        self.notes = list(story.notes.all())
        # The pictures shown as renditions; make_renditions() drops those it cannot make.
        self.hero_picture = self.hero_image.picture if self.hero_image else None
        self.video_pictures = [video.thumbnail_picture for video in self.videos]

    def _number_articles(self, entries):
        """Sources first, in their order; then articles only the timeline cites, as met."""
        sources = self.story.page_sources
        citables = [Citable(n, s.article, True) for n, s in enumerate(sources, start=1)]
        extra_ids = [pk for entry in entries for pk in cited_ids(entry)]
        extras = Article.objects.select_related("outlet").in_bulk(
            set(extra_ids) - {s.article_id for s in sources}
        )
        for pk in extra_ids:
            if pk in extras:
                citables.append(Citable(len(citables) + 1, extras.pop(pk), False))
        return citables

    @property
    def hero_image(self):
        return getattr(self.story, "hero_image", None)

    def make_renditions(self):
        """The renditions of the pictures this page shows, made if missing; a picture whose
        upload cannot be read is shown as it is named instead."""
        if self.hero_picture and not self.hero_picture.ensure():
            self.hero_picture = None
        self.video_pictures = [
            picture if picture and picture.ensure() else None for picture in self.video_pictures
        ]

    @property
    def preview_src(self):
        """What a link preview shows of the hero: a rendition made for this page, or the
        image as it is (a remote one, or an upload no rendition could be made of)."""
        return self.hero_picture.largest if self.hero_picture else self.hero_image.src

    @property
    def videos_shown(self):
        """(video, its Picture or None) in order."""
        return list(zip(self.videos, self.video_pictures, strict=True))

    @property
    def lede(self):
        return self.key_points[0].item.heading if self.key_points else ""

    @property
    def related_articles(self):
        """Every article the page cites, newest first: the reading list at the end."""
        return sorted(
            self.citables,
            key=lambda c: (c.article.published_at is not None, c.article.published_at, -c.number),
            reverse=True,
        )

    def json_ld(self):
        """schema.org NewsArticle, escaped so that no text can close the script element."""
        story, image = self.story, self.hero_image
        url = absolute_url(story.get_absolute_url())
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.headline,
            "url": url,
            "mainEntityOfPage": url,
            "datePublished": iso(story.published_at),
            "dateModified": iso(story.updated_at or story.published_at),
            "description": story.summary or self.lede or None,
            "inLanguage": story.language or settings.LANGUAGE_CODE,
            # The largest rendition made (never the original); the file as named if none was.
            "image": [absolute_url(self.preview_src)] if image else None,
            # The reporters when the story names them; else the newsroom itself.
            "author": (
                {"@type": "Person", "name": story.byline}
                if story.byline
                else {"@type": "Organization", "name": settings.SITE_NAME}
            ),
            "publisher": {
                "@type": "Organization",
                "name": settings.SITE_NAME,
                "logo": {"@type": "ImageObject", "url": absolute_url(static(LOGO))},
            },
            "citation": [
                {
                    "@type": "CreativeWork",
                    "name": c.article.title,
                    "url": c.article.url,
                    "publisher": {"@type": "Organization", "name": c.article.outlet.name},
                }
                for c in self.citables
            ],
        }
        text = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)
        return text.translate(JSON_SCRIPT_ESCAPES)

    def search_text(self):
        parts = [self.story.headline, self.story.summary]
        for cited in self.key_points:
            parts += [cited.item.heading, cited.item.body]
        parts += [cited.item.text for cited in self.entries]
        return "\n".join(parts)


def columns(story):
    """The stored columns of a story's page (Story.DERIVED_FIELDS but the fingerprint)."""
    page = StoryPage(story)
    page.make_renditions()
    lede = page.lede[:300]
    return {
        "body_html": render_to_string("stories/story_body.html", {"story": story, "page": page}),
        "card_html": render_card(story, page, lede),
        "json_ld": page.json_ld(),
        "lede": lede,
        "article_count": len(page.citables),
        "search_text": page.search_text(),
    }


def render_card(story, page, lede):
    """The story's card for feeds and search results (stored as Story.card_html)."""
    return render_to_string(
        "includes/story_card.html",
        {
            "story": story,
            "image": page.hero_image,
            "hero_picture": page.hero_picture,
            "lede": lede or story.summary,
            "count": len(page.citables),
        },
    )


def iso(value):
    return value.isoformat() if value else None
