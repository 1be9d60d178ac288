"""Keyset pagination for feeds: "older stories" continue after the last one shown.

Unlike page numbers, a cursor never makes the database count or skip rows, so page 500 of
a feed costs what page 1 does.
"""

import datetime as dt

from django.db.models import Q
from django.http import Http404

PAGE_SIZE = 20
# Newest first; the id breaks ties between stories updated at the same moment.
ORDER = ("-updated_at", "-pk")
MAX_ID = 2**63 - 1


class KeysetPage:
    """One page of stories, from `size + 1` rows in ORDER (the extra one: is there more?)."""

    def __init__(self, rows, *, is_first, size=PAGE_SIZE):
        self.is_first = is_first
        self.stories = rows[:size]
        self.has_next = len(rows) > size
        self.next_cursor = encode(self.stories[-1]) if self.has_next else None

    def __iter__(self):
        return iter(self.stories)

    def __len__(self):
        return len(self.stories)


def after(rows, cursor):
    """The rows of an ordered queryset that come after the cursor's story.

    `rows` is ordered newest first, by a time and then an id (ORDER, or the same fields
    under other names); the cursor holds the time and id of the last story shown.
    """
    updated_at, pk = decode(cursor)
    time_field, id_field = (name.removeprefix("-") for name in rows.query.order_by)
    return rows.filter(
        Q(**{f"{time_field}__lt": updated_at})
        | Q(**{time_field: updated_at, f"{id_field}__lt": pk})
    )


def encode(story):
    micros = int(story.updated_at.timestamp()) * 1_000_000 + story.updated_at.microsecond
    return f"{micros}-{story.pk}"


def decode(cursor):
    try:
        micros, pk = (int(part) for part in cursor.split("-"))
        updated_at = dt.datetime.fromtimestamp(0, dt.UTC) + dt.timedelta(microseconds=micros)
    except (ValueError, OverflowError) as exc:
        raise Http404("That page of the feed does not exist.") from exc
    # Story ids are positive 64-bit integers (BigAutoField); SQLite cannot even bind a larger
    # one. A cursor beyond them was never one of ours.
    if not 0 < pk <= MAX_ID:
        raise Http404("That page of the feed does not exist.")
    return updated_at, pk
