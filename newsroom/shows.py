"""Which stored pages show a row: each model that a page shows declares it, next to its fields.

    class KeyPointCitation(models.Model):
        shown_on = ShownOn(stories=["key_point__story"])

Each path is a lookup from the model to the stories (or timelines) whose stored pages show
its rows; "pk" is the row itself. The derived-data seam (newsroom.derived) reads these
declarations, and nothing else, to know what a save, a delete, a queryset update() or a bulk
write makes stale; the editing rules read them to know which stories show a row
(ShownOnStories.shown_by()). A model without a declaration is shown on no page.

This module is a leaf: models import it, and it imports no application code. Bulk writes
are announced with the `rows_written` signal, which the seam receives.
"""

from django.db import models
from django.dispatch import Signal

# Sent by ShownQuerySet after update(), bulk_create() and bulk_update(): sender is the
# model, `stories` and `timelines` the ids of what the rows are shown on (before and after
# an update), `fields` the fields written (None: all of them).
rows_written = Signal()


class ShownOn:
    """The stories and timelines whose stored pages show a model's rows (see above).

    listings: the row decides which feeds list a story, or how (a story's status and
    times, its feed memberships), so feed listings are copied again at once, in the same
    transaction, rather than when the page is rebuilt. True for any write; or the names of
    the fields that decide it, for writes of those.

    everywhere: every page shows the rows (the navigation), so any write moves the content
    version on, whichever stories and timelines it reaches. Otherwise a write that reaches
    none (an outlet nothing cites) leaves the content, and every cached page, as it is.
    """

    def __init__(self, *, stories=(), timelines=(), listings=False, everywhere=False):
        self.stories = tuple(stories)
        self.timelines = tuple(timelines)
        self.listings = listings
        self.everywhere = everywhere

    def touches_listings(self, fields=None):
        """Whether a write of `fields` (None: all of them) changes feed listings."""
        if self.listings in (True, False) or fields is None:
            return bool(self.listings)
        return not {getattr(field, "name", field) for field in fields}.isdisjoint(self.listings)

    def pages(self, queryset):
        """(story ids, timeline ids) that show the rows of `queryset`."""
        return (
            self._ids(queryset, self.stories),
            self._ids(queryset, self.timelines),
        )

    def pages_of(self, instance, *, created=False):
        """(story ids, timeline ids) that show one row, read from the row where its own
        foreign key says it (the common case: no query), else from the database."""
        return self.pages_of_many(type(instance), [instance], created=created)

    def pages_of_many(self, model, instances, *, created=False):
        """created=True: rows just written, so nothing points at them yet; only paths
        that start from the row itself or its own foreign keys can reach a page."""
        stories, timelines = set(), set()
        for found, paths in ((stories, self.stories), (timelines, self.timelines)):
            for path in paths:
                if created and not _starts_forward(model, path):
                    continue
                found.update(_follow(model, instances, path))
        stories.discard(None)
        timelines.discard(None)
        return stories, timelines

    @staticmethod
    def _ids(queryset, paths):
        found = set()
        for path in paths:
            found.update(queryset.order_by().values_list(path, flat=True).distinct())
        found.discard(None)
        return found


def _starts_forward(model, path):
    first = path.partition("__")[0]
    return first == "pk" or model._meta.get_field(first).concrete


def _follow(model, instances, path):
    """The values of `path` for these instances: its first step from the instances
    themselves (their primary key or a foreign key column), the rest in one query."""
    first, _, rest = path.partition("__")
    if first == "pk":
        return {instance.pk for instance in instances}
    field = model._meta.get_field(first)
    if field.many_to_one or (field.one_to_one and field.concrete):
        keys = {getattr(instance, field.attname) for instance in instances} - {None}
        if not rest or not keys:
            return keys
        related = field.related_model._base_manager.filter(pk__in=keys)
        return set(related.order_by().values_list(rest, flat=True).distinct())
    keys = {instance.pk for instance in instances} - {None}
    if not keys:
        return set()
    rows = model._base_manager.filter(pk__in=keys).order_by()
    return set(rows.values_list(path, flat=True).distinct())


def declared(model):
    """The model's ShownOn, or None for a model no page shows."""
    return getattr(model, "shown_on", None)


class ShownQuerySet(models.QuerySet):
    """Bulk writes of rows that pages show announce what they made stale (rows_written), so
    that the loader, admin actions, factories and scripts carry no rebuild obligations."""

    def update(self, **values):
        shown_on = declared(self.model)
        if shown_on is None or derived_only(self.model, values):
            return super().update(**values)
        before = shown_on.pages(self)
        pks = list(self.values_list("pk", flat=True))
        count = super().update(**values)
        written = self.model._base_manager.using(self.db).filter(pk__in=pks)
        if rendered_fields(self.model) and set(values) - set(rendered_fields(self.model)):
            render_rows(list(written))
        after = shown_on.pages(written)
        self._announce(before[0] | after[0], before[1] | after[1], fields=values)
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs if rendered_fields(self.model) else ():
            obj.render()
        objs = super().bulk_create(objs, *args, **kwargs)
        self._announce_rows(objs, created=True)
        return objs

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if derived_only(self.model, fields):
            return super().bulk_update(objs, fields, *args, **kwargs)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        self._announce_rows(objs, fields=fields)
        return count

    bulk_update.alters_data = True

    def _announce_rows(self, objs, *, created=False, fields=None):
        shown_on = declared(self.model)
        if shown_on is not None and objs:
            pages = shown_on.pages_of_many(self.model, objs, created=created)
            self._announce(*pages, fields=fields)

    def _announce(self, stories, timelines, fields=None):
        rows_written.send(
            self.model, stories=stories, timelines=timelines, fields=fields, using=self.db
        )


def rendered_fields(model):
    """The columns a model's render() derives from its other fields (an item's HTML from
    its Markdown): RENDERED_FIELDS. save() renders them; so do bulk writes, here."""
    return tuple(getattr(model, "RENDERED_FIELDS", ()))


def render_rows(rows):
    """Render these rows' RENDERED_FIELDS again and store them (a bare UPDATE does not
    go through save())."""
    if rows:
        model = type(rows[0])
        for row in rows:
            row.render()
        models.QuerySet(model).bulk_update(rows, rendered_fields(model))


def derived_only(model, fields):
    """Whether a write touches only the columns the seam itself derives (DERIVED_FIELDS):
    such a write is the rebuild, not an edit."""
    names = {getattr(field, "name", field) for field in fields}
    return bool(names) and names <= getattr(model, "DERIVED_FIELDS", frozenset())
