"""Keep stored pages exact: every change rebuilds the pages that show it, then bumps the version.

A story page is rendered when its content changes (stories.pages.refresh_story), so any save
or delete of something it shows (an item, a source's article, an outlet's name, a timeline
entry) must rebuild it, and ContentVersion must move so that no cached copy is served again.
Operations that write many rows at once (an admin save with its inlines, the loader) run
inside deferred_refresh() and rebuild each page once, at the end, inside their transaction.
"""

import threading
from contextlib import contextmanager

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from timelines.models import EntryCitation, Timeline, TimelineEntry

from .models import (
    LISTED_FIELDS,
    Article,
    ContentVersion,
    ExternalResource,
    Feed,
    HeroImage,
    KeyPoint,
    KeyPointCitation,
    Listing,
    Outlet,
    PreviousSlug,
    Source,
    Story,
    StoryNote,
    Video,
)
from .pages import refresh_stories, refresh_timelines

STORY_ITEMS = (HeroImage, Source, KeyPoint, Video, ExternalResource, StoryNote, PreviousSlug)

_state = threading.local()


@contextmanager
def deferred_refresh():
    """Collect the pages changed inside the block; rebuild each once when it ends."""
    outer = getattr(_state, "pending", None)
    if outer is not None:  # nested: the outer block rebuilds
        before = outer.copy()
        try:
            yield
        except BaseException:
            # The block failed, so its writes are rolled back: it has nothing to rebuild.
            _state.pending = before
            raise
        return
    _state.pending = Pending()
    try:
        yield
        flush()
    finally:
        _state.pending = None


class Pending:
    """What changed inside deferred_refresh(); nothing at all (a GET) rebuilds nothing."""

    def __init__(self):
        self.changed, self.stories, self.timelines = False, set(), set()

    def copy(self):
        copied = Pending()
        copied.changed, copied.stories, copied.timelines = (
            self.changed,
            set(self.stories),
            set(self.timelines),
        )
        return copied


def flush():
    """Rebuild what deferred_refresh() has collected so far (a preview needs it early)."""
    pending, _state.pending = _state.pending, Pending()
    if pending.changed:
        rebuild(pending.stories, pending.timelines)


def schedule(stories=(), timelines=()):
    pending = getattr(_state, "pending", None)
    if pending is None:
        rebuild(set(stories), set(timelines))
    else:
        pending.changed = True
        pending.stories.update(stories)
        pending.timelines.update(timelines)


def rebuild(story_ids, timeline_ids):
    refresh_timelines(timeline_ids)
    if timeline_ids:
        story_ids |= set(
            Story.objects.filter(timeline_id__in=timeline_ids).values_list("pk", flat=True)
        )
    refresh_stories(story_ids)
    ContentVersion.bump()


def ids(queryset):
    return set(queryset.values_list("pk", flat=True).distinct())


def changed(sender, instance, **kwargs):
    if kwargs.get("raw"):  # loaddata: leave rows exactly as given
        return
    if isinstance(instance, Story):
        schedule(stories=[instance.pk])
    elif isinstance(instance, STORY_ITEMS):
        schedule(stories=[instance.story_id])
    elif isinstance(instance, KeyPointCitation):
        schedule(stories=ids(Story.objects.filter(key_points=instance.key_point_id)))
    elif isinstance(instance, Article | Outlet):
        if kwargs.get("created"):  # no page can show a row that did not exist
            return
        articles = [instance.pk] if isinstance(instance, Article) else instance.articles.all()
        schedule(
            stories=ids(Story.objects.showing_articles(articles)),
            timelines=ids(Timeline.objects.filter(entries__citation_links__article__in=articles)),
        )
    elif isinstance(instance, Timeline):
        # Deleted: its stories (recorded before SET_NULL cleared them) lose the section.
        schedule(timelines=[instance.pk], stories=getattr(instance, "_shown_by", ()))
    elif isinstance(instance, TimelineEntry):
        schedule(timelines=[instance.timeline_id])
    elif isinstance(instance, EntryCitation):
        schedule(timelines=ids(Timeline.objects.filter(entries=instance.entry_id)))
    else:  # a feed: only the navigation and the feed pages change
        schedule()


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


def remember_stories(sender, instance, **kwargs):
    instance._shown_by = ids(Story.objects.filter(timeline=instance))


pre_delete.connect(remember_stories, sender=Timeline, dispatch_uid="timeline-shown-by")


def feeds_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Keep listings to feed memberships, from either side (story.feeds, feed.stories)."""
    if not action.startswith("post_"):
        return
    side, other = ("feed", "story") if reverse else ("story", "feed")
    if action == "post_add":
        stories, feeds = (pk_set, [instance.pk]) if reverse else ([instance.pk], pk_set)
        Listing.objects.add(stories, feeds)
    elif action == "post_remove":
        Listing.objects.filter(**{side: instance, f"{other}__in": pk_set}).delete()
    else:  # post_clear
        Listing.objects.filter(**{side: instance}).delete()
    schedule()


m2m_changed.connect(feeds_changed, sender=Story.feeds.through, dispatch_uid="story-feeds")


def story_saved(sender, instance, created, update_fields, **kwargs):
    """A story's listings copy its status and times (Listing): copy them again."""
    if created or (update_fields is not None and LISTED_FIELDS.isdisjoint(update_fields)):
        return  # a new story is in no feed yet
    Listing.objects.filter(story=instance).update(
        **{name: getattr(instance, name) for name in LISTED_FIELDS}
    )


post_save.connect(story_saved, sender=Story, dispatch_uid="story-listings")
