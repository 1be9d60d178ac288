"""What History keeps (django-reversion), declared once for the admin and the loader.

register() declares a model's revisions: the rows it brings along (follow) and the fields
left out (exclude). The admin's saves record them through reversion; record() writes the
same revisions for many stories at once (the loader), a few queries per batch instead of a
dozen per story, so that keeping History costs a load little.
"""

import functools
from collections import defaultdict
from itertools import chain

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router
from django.utils import timezone
from django.utils.encoding import is_protected_type
from reversion.models import Revision, Version

# Rows of History written a statement (7 values each: well under every database's limit).
INSERT_ROWS = 500
# model: (follow, fields), as given to reversion.register.
DECLARED = {}


def register(model, *, follow=(), exclude=()):
    """Keep `model`'s revisions. What editors wrote, not the stored pages derived from it
    (DERIVED_FIELDS): a revert restores the text with those at their defaults, a blank
    render fingerprint among them, so the seam rebuilds the page before it is served, and
    History stays small and readable. Kept: a derived field with no default (a modification
    time), and an item's own HTML (RENDERED_FIELDS), since a revert writes rows as stored,
    without the save() that renders it."""
    opts = model._meta
    derived = getattr(model, "DERIVED_FIELDS", ())
    left_out = {*exclude, *(name for name in derived if opts.get_field(name).has_default())}
    fields = [
        field.name
        for field in (*opts.local_fields, *opts.local_many_to_many)
        if field.name not in left_out
    ]
    DECLARED[model] = (tuple(follow), fields)
    reversion.register(model, fields=fields, follow=follow)


class Followed:
    """What rows follow, as a writer has them in memory: record() takes these instead of
    reading them back. set(row, "entries", rows) before or after the rows are saved."""

    def __init__(self):
        self._rows = {}  # id(row): (row, {name: related rows})

    def set(self, row, name, related):
        self._rows.setdefault(id(row), (row, {}))[1][name] = list(related)

    def get(self, row, name):
        """The related rows given for row.<name>, or None when none were given."""
        found = self._rows.get(id(row))
        return found[1].get(name) if found and found[0] is row else None


def latest_revision(row):
    """The newest revision keeping `row`, with its user, or None: who saved it last, when."""
    version = Version.objects.get_for_object(row).select_related("revision__user").first()
    return version.revision if version is not None else None


def record(revisions, followed=None, user=None):
    """Write revisions as reversion.create_revision() would: `revisions` is a list of
    (comment, rows); each row brings what register() says it follows, from `followed`
    (a Followed) where given, else read (prefetch it, or this reads it row by row)."""
    if not revisions:
        return
    now = timezone.now()
    created = Revision.objects.bulk_create(
        Revision(date_created=now, comment=comment, user=user) for comment, _ in revisions
    )
    versions = []
    for revision, (_, rows) in zip(created, revisions, strict=True):
        for row in _with_followed((row for row in rows if row is not None), followed):
            versions.append((revision, row))
    by_model = defaultdict(list)
    for revision, row in versions:
        by_model[type(row)].append((revision, row))
    rows_out = []
    encode = DjangoJSONEncoder().encode  # one encoder for every row: not one each
    for model, pairs in by_model.items():
        content_type = ContentType.objects.get_for_model(model)
        db = router.db_for_write(model)
        _, fields = DECLARED[model]
        for revision, row in pairs:
            serialized = encode([dump(row, fields, followed)])
            rows_out.append(
                (revision.pk, str(row.pk), content_type.pk, db, "json", serialized, str(row))
            )
    # Written as plain rows, not through bulk_create, which would build and compile a
    # Version instance for each of the tens of thousands of rows a large load keeps (most
    # of the load's cost).
    fields = ["revision", "object_id", "content_type", "db", "format", "serialized_data"]
    columns = [Version._meta.get_field(name).column for name in [*fields, "object_repr"]]
    connection = connections[router.db_for_write(Version)]
    quote = connection.ops.quote_name
    table = f"{quote(Version._meta.db_table)} ({', '.join(map(quote, columns))})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: a fifth of the time of multi-row INSERTs, which PostgreSQL parses and
            # plans statement by statement.
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows_out:
                    copy.write_row(row)
            return
        # INSERT_ROWS rows a statement: one row a statement (executemany) costs a round
        # trip's worth of protocol each.
        one_row = f"({', '.join(['%s'] * len(columns))})"
        for start in range(0, len(rows_out), INSERT_ROWS):
            chunk = rows_out[start : start + INSERT_ROWS]
            cursor.execute(
                f"INSERT INTO {table} VALUES " + ", ".join([one_row] * len(chunk)),
                list(chain(*chunk)),
            )


def dump(row, names, followed=None):
    """What Django's "python" serializer makes of a row (the fields `names`), which
    reversion stores and reads back on revert; with many-to-many values from `followed`
    where given, rather than a query a row, and without its per-row machinery."""
    opts = row._meta.concrete_model._meta
    columns, many = _dumped_fields(opts.model, tuple(names))
    fields = {}
    for name, attname, field in columns:
        value = getattr(row, attname)  # a foreign key: its column's value
        if type(value) is not str and not is_protected_type(value):
            value = field.value_to_string(row)
        fields[name] = value
    for field in many:
        given = followed.get(row, field.name) if followed is not None else None
        related = (
            sorted(given, key=lambda item: item.pk)
            if given is not None
            else getattr(row, field.name).order_by("pk")
        )
        fields[field.name] = [_value(item, item._meta.pk) for item in related]
    return {"model": str(opts), "pk": _value(row, opts.pk), "fields": fields}


@functools.cache
def _dumped_fields(model, names):
    """The (name, attname, field) of the columns dump() writes, and the many-to-many
    fields, as the serializer picks them."""
    opts = model._meta
    columns = [
        (field.name, field.attname, field)
        for field in opts.local_fields
        if field.serialize and field.name in names
    ]
    many = [
        field
        for field in opts.local_many_to_many
        if field.serialize
        and field.name in names
        and field.remote_field.through._meta.auto_created
    ]
    return columns, many


def _value(row, field):
    value = field.value_from_object(row)
    return value if is_protected_type(value) else field.value_to_string(row)


def _with_followed(rows, followed=None):
    """The rows and, recursively, what each follows: each row once."""
    seen, ordered = set(), []
    pending = list(rows)
    while pending:
        row = pending.pop(0)
        key = (type(row), row.pk)
        if row.pk is None or key in seen:
            continue
        seen.add(key)
        ordered.append(row)
        for name in DECLARED[type(row)][0]:
            given = followed.get(row, name) if followed is not None else None
            if given is not None:
                pending.extend(given)
                continue
            related = getattr(row, name, None)
            if related is None:
                continue
            if hasattr(related, "all"):  # a manager: many rows
                pending.extend(related.all())
            else:
                pending.append(related)
    return ordered
