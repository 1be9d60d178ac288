"""Derived data: the one place that keeps stored pages, cards, structured data, search text,
feed listings and the content version exact.

Public pages are fast because what they show is derived when content changes and stored
(stories.pages, timelines.pages), so a page view reads one row. This module owns that:

- **What changed.** Each model a page shows declares which stories and timelines show its
  rows (`shown_on`, newsroom.shows). Saves and deletes (signals), feed memberships and
  citations (m2m_changed) and bulk writes (ShownQuerySet's update(), bulk_create(),
  bulk_update()) are followed through those declarations; nothing else is listed anywhere.
- **When it is rebuilt.** At once, or, inside `batch()`, once at the end of it: every request
  runs in one (BatchMiddleware), and so does the loader. A page left to the end of a batch is
  marked stale in the database in the same transaction as the change, and the content version
  moves on with it, so no reader is ever served the old page from a cache or a stale row.
- **Which code made it.** Each stored row carries the fingerprint of the rendering code that
  made it (templates, the code of the apps that render, the rendering libraries and the
  settings they read). A row made by other code, or marked stale, is never served as it is:
  the read helpers below rebuild it first, and `manage.py rebuild_pages` rebuilds them all
  (the README's deploy steps run it). Data migrations therefore never render pages.
- **Feed listings** copy a story's status and times (stories.models.Listing): they are copied
  again at once, in the changing transaction, so a feed never lists a story as it was.
"""

import contextvars
import hashlib
import itertools
from contextlib import contextmanager
from functools import cache
from importlib import metadata
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils import timezone

from stories import pages as story_pages
from stories.models import LISTED_FIELDS, ContentVersion, Listing, Story
from timelines import pages as timeline_pages
from timelines.models import Timeline

from .shows import declared, derived_only, rows_written

# Stories or timelines rebuilt per round of queries.
REBUILD_BATCH = 200
# Code that renders stored pages: its source is part of the fingerprint. Whole packages, not
# a list of modules: a list would fail silently the day a new module renders something.
RENDERING_PACKAGES = ("stories", "timelines", "newsroom")
RENDERING_LIBRARIES = ("django", "jinja2", "markdown-it-py", "nh3")
# Settings the stored pages read (absolute URLs, dates in the newsroom's time zone).
RENDERING_SETTINGS = ("SITE_URL", "SITE_NAME", "MEDIA_URL", "STATIC_URL", "TIME_ZONE")


# --- The fingerprint of the rendering code ---------------------------------------------------


@cache
def fingerprint():
    """A hash of everything that decides stored HTML. It errs towards rebuilding: a deploy
    that changes code in these packages but no page costs one `rebuild_pages`."""
    digest = hashlib.sha256()
    for path in sorted(_rendering_files()):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    for name in RENDERING_LIBRARIES:
        digest.update(f"{name}=={metadata.version(name)}\0".encode())
    for name in RENDERING_SETTINGS:
        digest.update(f"{name}={getattr(settings, name, None)!r}\0".encode())
    return digest.hexdigest()[:32]


def _rendering_files():
    for engine in settings.TEMPLATES:
        for folder in engine.get("DIRS", []):
            yield from (path for path in Path(folder).rglob("*") if path.is_file())
    for package in RENDERING_PACKAGES:
        root = Path(apps.get_app_config(package).path if package != "newsroom" else __file__)
        root = root if root.is_dir() else root.parent
        for path in root.rglob("*"):
            skipped = {"migrations", "management", "__pycache__"} & set(path.parts)
            if path.is_file() and not skipped and path.suffix in {".py", ".html", ".txt"}:
                yield path


def _forget_fingerprint(setting, **kwargs):
    if setting == "TEMPLATES" or setting in RENDERING_SETTINGS:
        fingerprint.cache_clear()


setting_changed.connect(_forget_fingerprint, dispatch_uid="derived-fingerprint")


def is_fresh(row):
    """Whether a story or timeline row (or a feed Card) holds pages this code would make."""
    return row.render_fingerprint == fingerprint()


# --- Rebuilding ------------------------------------------------------------------------------


def rebuild(stories=(), timelines=(), *, bump=True):
    """Rebuild these stories' and timelines' stored pages now, and move the content on
    (bump=False: the content has not changed, only the code that renders it)."""
    with transaction.atomic():
        _rebuild_timelines(set(timelines))
        _rebuild_stories(set(stories))
        if bump:
            ContentVersion.bump()


def _rebuild_stories(ids):
    read = (
        Story.objects.select_related("hero_image", "timeline")
        .prefetch_related(*story_pages.PAGE_READ)
        .order_by()
    )
    # Each batch is read in full before its pages are written (SQLite cannot read a table
    # while it writes it); a story deleted in the meantime is simply not there.
    for batch in itertools.batched(sorted(filter(None, ids)), REBUILD_BATCH):
        stories = list(read.filter(pk__in=batch))
        _store(Story, [(story.pk, story_pages.columns(story)) for story in stories])


def _rebuild_timelines(ids):
    read = Timeline.objects.prefetch_related(*timeline_pages.PAGE_READ).order_by()
    for batch in itertools.batched(sorted(filter(None, ids)), REBUILD_BATCH):
        timelines = list(read.filter(pk__in=batch))
        reads = timeline_pages.read_for(timelines)
        _store(
            Timeline,
            [(t.pk, timeline_pages.columns(t, reads)) for t in timelines],
        )


def _store(model, pages):
    """Write (pk, columns) for a batch of rows: one UPDATE statement run for every row
    (executemany: a pipeline on PostgreSQL). bulk_update's CASE per column costs more than
    the rendering on SQLite, and an update() a row costs a round trip each on PostgreSQL."""
    if not pages:
        return
    now, made_by = timezone.now(), fingerprint()
    names = [*pages[0][1], "render_fingerprint", "modified_at"]
    ops = connection.ops
    assignments = ", ".join(
        f"{ops.quote_name(model._meta.get_field(name).column)} = %s" for name in names
    )
    table, key = ops.quote_name(model._meta.db_table), ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"
    modified = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [[*columns.values(), made_by, modified, pk] for pk, columns in pages]
        )


def stale(model):
    """The rows of Story or Timeline whose stored pages this code would not serve."""
    return model.objects.exclude(render_fingerprint=fingerprint())


def rebuild_stale(*, every=False, progress=None):
    """Rebuild the pages made by other rendering code, or marked stale (every=True: all).

    `progress(kind, done, total)` is told after each round. Returns (stories, timelines).
    """
    counts = []
    for model, rebuild_some in ((Timeline, _rebuild_timelines), (Story, _rebuild_stories)):
        ids = list((model.objects.all() if every else stale(model)).values_list("pk", flat=True))
        for done, batch in enumerate(itertools.batched(sorted(ids), REBUILD_BATCH), start=1):
            with transaction.atomic():
                rebuild_some(batch)
            if progress:
                progress(model, min(done * REBUILD_BATCH, len(ids)), len(ids))
        counts.append(len(ids))
    ContentVersion.bump()
    return counts[1], counts[0]


# --- Reading: never a page made by other code ------------------------------------------------


def fresh(read):
    """`read()` (a story or timeline row, or None), rebuilt first when it is not fresh."""
    row = read()
    if row is None or is_fresh(row):
        return row
    # No bump: an edit that marked it moved the content version on already, and pages
    # cached by other code are keyed on their fingerprint.
    rebuild(**{_kind(row): [row.pk]}, bump=False)
    return read()


def fresh_all(read):
    """`read()` (stories, or feed Cards, or a page of them), with stale ones rebuilt first."""
    stories = read()
    outdated = [story.pk for story in stories if not is_fresh(story)]
    if not outdated:
        return stories
    rebuild(stories=outdated, bump=False)  # as fresh()
    return read()


def _kind(row):
    return "stories" if isinstance(row, Story) else "timelines"


# --- Following changes -----------------------------------------------------------------------


class Pending:
    """What changed inside a batch(), to rebuild when it ends."""

    def __init__(self):
        self.stories, self.timelines, self.bumped = set(), set(), False

    def state(self):
        return set(self.stories), set(self.timelines), self.bumped

    def restore(self, state):
        self.stories, self.timelines, self.bumped = state


_pending = contextvars.ContextVar("derived_pending", default=None)


@contextmanager
def batch():
    """Rebuild what changes inside the block once, when it ends (nested: the outer one).

    A nested block that fails forgets what it changed: its writes are rolled back (to its
    savepoint), so the outer block has nothing of it to rebuild."""
    outer = _pending.get()
    if outer is not None:
        before = outer.state()
        try:
            yield
        except BaseException:
            outer.restore(before)
            raise
        return
    token = _pending.set(Pending())
    try:
        yield
        pending = _pending.get()
    finally:
        _pending.reset(token)
    if pending.stories or pending.timelines or pending.bumped:
        with transaction.atomic():
            # Listings again, for memberships written in bulk (Story.feeds.through has
            # Django's own manager, which announces nothing); the rows are there by now.
            copy_listings(pending.stories)
            rebuild(pending.stories, pending.timelines)


def flush():
    """Rebuild what the current batch has collected so far (a preview needs it early)."""
    pending = _pending.get()
    if pending is not None:
        _pending.set(Pending())
        rebuild(pending.stories, pending.timelines)


def changed(stories=(), timelines=(), *, listings=False, everywhere=False):
    """These stories' and timelines' pages are stale (and, listings=True, the stories'
    feed listings): rebuild them now, or mark them to be rebuilt when the batch ends.

    The content version moves on when a page is stale, or for everywhere=True (what every
    page shows); a change no page shows leaves every cached page valid."""
    stories, timelines = set(stories), set(timelines)
    if not (stories or timelines or everywhere):
        return
    pending = _pending.get()
    # The stories showing a timeline, unless this batch has found them already (a story
    # that takes the timeline on later is a change of its own).
    unseen = timelines - pending.timelines if pending else timelines
    if unseen:
        stories |= set(Story.objects.filter(timeline__in=unseen).values_list("pk", flat=True))
    if listings and stories:
        copy_listings(stories)
    if pending is None:
        rebuild(stories, timelines)
        return
    for model, ids, known in (
        (Story, stories, pending.stories),
        (Timeline, timelines, pending.timelines),
    ):
        if ids - known:
            # Rows just created are blank already: no write (and no dead row) for them.
            marked = model.objects.filter(pk__in=ids - known).exclude(render_fingerprint="")
            marked.update(render_fingerprint="")
            known |= ids
    if not pending.bumped:
        ContentVersion.bump()  # in the changing transaction: no cache serves the old page
        pending.bumped = True


def changed_in_bulk(story_ids):
    """Stories written past the ORM (raw SQL of a bulk import): their feed listings are
    copied now, and their pages marked stale, to be built when first read or by
    `rebuild_pages`, rather than all at once here."""
    copy_listings(story_ids)
    for batch in itertools.batched(sorted(story_ids), REBUILD_BATCH):
        Story.objects.filter(pk__in=batch).update(render_fingerprint="")
    ContentVersion.bump()


def copy_listings(story_ids):
    """Make these stories' feed listings exact: one per feed membership, with the story's
    status and times copied. Three reads; writes only where something differs."""
    fields = sorted(LISTED_FIELDS)
    for batch in itertools.batched(sorted(story_ids), REBUILD_BATCH):
        stories = {
            pk: tuple(values)
            for pk, *values in Story.objects.filter(pk__in=batch).values_list("pk", *fields)
        }
        wanted = set(
            Story.feeds.through.objects.filter(story__in=batch).values_list("story_id", "feed_id")
        )
        listed = {
            (story, feed): (pk, tuple(values))
            for pk, story, feed, *values in Listing.objects.filter(story__in=batch).values_list(
                "pk", "story_id", "feed_id", *fields
            )
        }
        Listing.objects.filter(
            pk__in=[listed[pair][0] for pair in listed.keys() - wanted]
        ).delete()
        Listing.objects.bulk_create(
            Listing(story_id=story, feed_id=feed, **dict(zip(fields, stories[story], strict=True)))
            for story, feed in wanted - listed.keys()
        )
        for story in {s for (s, f), (_, values) in listed.items() if values != stories.get(s)}:
            if story in stories:
                Listing.objects.filter(story=story).update(
                    **dict(zip(fields, stories[story], strict=True))
                )


def _saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields and derived_only(sender, update_fields)):
        return  # loaddata's rows as given; or the seam's own write
    shown_on = declared(sender)
    stories, timelines = shown_on.pages_of(instance, created=created)
    # A row just created is in no feed yet: its memberships list it when they are added.
    listings = not created and shown_on.touches_listings(update_fields)
    changed(stories, timelines, listings=listings, everywhere=shown_on.everywhere)


def _deleting(sender, instance, **kwargs):
    # Before the row (and what SET_NULL clears) is gone: the pages that showed it.
    stories, timelines = declared(sender).pages_of(instance)
    if timelines:
        stories |= set(Story.objects.filter(timeline__in=timelines).values_list("pk", flat=True))
    instance._shown_on_pages = (stories, timelines)


def _deleted(sender, instance, **kwargs):
    stories, timelines = getattr(instance, "_shown_on_pages", (set(), set()))
    shown_on = declared(sender)
    changed(
        stories,
        timelines,
        listings=shown_on.touches_listings(),
        everywhere=shown_on.everywhere,
    )


def _memberships_changed(sender, instance, action, pk_set, **kwargs):
    """Rows of a declared through model written with add(), remove(), set() or clear():
    the pages they show are read while the rows exist, and rebuilt once the change is made."""
    if action not in {"pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"}:
        return
    shown_on, key = declared(sender), f"_shown_on_{sender._meta.db_table}"
    if action.startswith("pre_"):
        own, other = _through_keys(sender, type(instance), kwargs["model"])
        rows = sender._base_manager.filter(**{own: instance.pk})
        if action == "pre_remove":
            rows = rows.filter(**{f"{other}__in": pk_set})
        setattr(instance, key, shown_on.pages(rows))
        return
    if action == "post_add":
        own, other = _through_keys(sender, type(instance), kwargs["model"])
        # A path that is one of the two keys needs no query: the ids are at hand.
        known = {own: {instance.pk}, other: set(pk_set)}
        rows = sender._base_manager.filter(**{own: instance.pk, f"{other}__in": pk_set})
        stories, timelines = (
            set().union(*(known[p] if p in known else shown_on._ids(rows, [p]) for p in paths))
            for paths in (shown_on.stories, shown_on.timelines)
        )
    else:
        stories, timelines = instance.__dict__.pop(key, (set(), set()))
    changed(
        stories,
        timelines,
        listings=shown_on.touches_listings(),
        everywhere=shown_on.everywhere,
    )


def _through_keys(through, instance_model, other_model):
    keys = {}
    for field in through._meta.concrete_fields:
        if field.many_to_one:
            keys.setdefault(field.related_model, field.name)
    return keys[instance_model], keys[other_model]


def _bulk_written(sender, stories, timelines, fields=None, **kwargs):
    shown_on = declared(sender)
    changed(
        stories,
        timelines,
        listings=shown_on.touches_listings(fields),
        everywhere=shown_on.everywhere,
    )


def connect():
    """Follow every model that declares the pages showing it (called once, at startup)."""
    for model in apps.get_models(include_auto_created=True):
        if declared(model) is None:
            continue
        uid = f"derived-{model._meta.label_lower}"
        if model._meta.auto_created or _is_through(model):
            m2m_changed.connect(_memberships_changed, sender=model, dispatch_uid=f"{uid}-m2m")
        post_save.connect(_saved, sender=model, dispatch_uid=f"{uid}-save")
        pre_delete.connect(_deleting, sender=model, dispatch_uid=f"{uid}-deleting")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}-delete")
    rows_written.connect(_bulk_written, dispatch_uid="derived-bulk")


def _is_through(model):
    return any(
        field.remote_field.through is model
        for other in apps.get_models()
        for field in other._meta.local_many_to_many
    )


class BatchMiddleware:
    """Every request is one batch: an admin save with its inlines, a bulk action or a revert
    rebuilds each page it touched once, after the view (and its transaction) is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with batch():
            return self.get_response(request)
