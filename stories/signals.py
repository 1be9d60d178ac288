"""Keep "what changed when" exact: touch the stories an edit shows up in, bump the version.

A story's modified_at is its page's Last-Modified, so it must move when anything the page
shows changes (a source's article, an outlet's name, a timeline entry), not only when the
story row is saved. ContentVersion moves on every change to public content and keys the
page cache.
"""

import threading
from contextlib import contextmanager

from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from timelines.models import EntryCitation, Timeline, TimelineEntry

from .models import (
    Article,
    ContentVersion,
    ExternalResource,
    Feed,
    HeroImage,
    KeyPoint,
    KeyPointCitation,
    Outlet,
    PreviousSlug,
    Source,
    Story,
    StoryNote,
    Video,
)

STORY_ITEMS = (HeroImage, Source, KeyPoint, Video, ExternalResource, StoryNote, PreviousSlug)
# Rows that only ever change what one story or timeline shows.
ITEM_MODELS = (*STORY_ITEMS, KeyPointCitation, TimelineEntry, EntryCitation)

_state = threading.local()


@contextmanager
def items_untracked():
    """For bulk writers (the loader) that replace a story's items wholesale and then touch the
    story, its timeline and the version once themselves, instead of once per row."""
    _state.untracked = True
    try:
        yield
    finally:
        _state.untracked = False


def touch_stories(condition):
    Story.objects.filter(condition).update(modified_at=timezone.now())


def touch_timeline(timeline_id):
    now = timezone.now()
    Timeline.objects.filter(pk=timeline_id).update(modified_at=now)
    Story.objects.filter(timeline_id=timeline_id).update(modified_at=now)


def changed(sender, instance, **kwargs):
    if kwargs.get("raw"):  # loaddata: leave rows exactly as given
        return
    if isinstance(instance, ITEM_MODELS) and getattr(_state, "untracked", False):
        return
    if isinstance(instance, STORY_ITEMS):
        touch_stories(Q(pk=instance.story_id))
    elif isinstance(instance, KeyPointCitation):
        touch_stories(Q(key_points__pk=instance.key_point_id))
    elif isinstance(instance, Article):
        touch_stories(article_shown(instance.pk))
    elif isinstance(instance, Outlet):
        touch_stories(article_shown(Article.objects.filter(outlet=instance).values("pk")))
    elif isinstance(instance, TimelineEntry):
        touch_timeline(instance.timeline_id)
    elif isinstance(instance, EntryCitation):
        timeline_id = (
            TimelineEntry.objects.filter(pk=instance.entry_id)
            .values_list("timeline_id", flat=True)
            .first()
        )
        if timeline_id is not None:
            touch_timeline(timeline_id)
    ContentVersion.bump()


def article_shown(articles):
    """Stories whose page lists an article (as a source or through their timeline)."""
    lookup = "in" if not isinstance(articles, int) else "exact"
    return Q(**{f"sources__article__{lookup}": articles}) | Q(
        **{f"timeline__entries__citation_links__article__{lookup}": articles}
    )


TRACKED = (
    Story,
    Feed,
    Timeline,
    Article,
    Outlet,
    TimelineEntry,
    EntryCitation,
    KeyPointCitation,
    *STORY_ITEMS,
)

for model in TRACKED:
    post_save.connect(changed, sender=model, dispatch_uid=f"changed-save-{model.__name__}")
    post_delete.connect(changed, sender=model, dispatch_uid=f"changed-delete-{model.__name__}")


@receiver(m2m_changed, sender=Story.feeds.through, dispatch_uid="story-feeds-changed")
def feeds_changed(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        if isinstance(instance, Story):
            touch_stories(Q(pk=instance.pk))
        ContentVersion.bump()
