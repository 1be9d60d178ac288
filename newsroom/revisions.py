"""History's compare view: two revisions of what editors wrote, in reading order, with the
words that changed marked.

Each model admin says what a row's document is (EditorialAdmin.history_document): an
ordered list of (label, value), a value being text or a list of Items (key points,
sources, entries). Never the stored pages derived from them: those are the site's, not an
editor's. This module does the rest, for every model alike:

- document_at() restores a revision inside a transaction that is then rolled back, and
  reads the document there, so a diff reads rows the way the site's own dumper does;
- compare() pairs two documents' fields and list items (an item inserted at the top is
  one added item, not every item changed) and marks the words that changed.
"""

import datetime
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import zip_longest

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from reversion.errors import RevertError

from . import derived

logger = logging.getLogger(__name__)

# Items of a list paired by likeness only up to this many candidate pairs; past it, a run
# of changed items is paired in order.
MOST_PAIRS_WEIGHED = 2_500
# How alike two items must be (the share of their words in common) to be shown as one
# item changed.
ALIKE = 0.5
# Far past any item's position: where _make_room() moves them (OrderedItemFormSet's offset).
POSITIONS_MOVED_BY = 1_000_000
# A word with the white space after it (none between two words: a space anchoring no match
# would split every run of them), another character, or white space: what is marked.
TOKENS = re.compile(r"\w+\s*|[^\w\s]|\s+")
WORDS = re.compile(r"\w+")


# --- Documents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One item of a list (a key point, a source, an entry): its fields, (label, text)
    pairs, which the diff compares; and its title, which it shows but does not compare (a
    source's number moves when another is inserted before it)."""

    fields: tuple
    title: str = field(default="", compare=False)

    @classmethod
    def of(cls, title, *fields):
        return cls(tuple((label, shown(value)) for label, value in fields), title)

    @property
    def text(self):
        return "\n".join(text for _, text in self.fields)


def labelled(part, model, *names):
    """(label, value) of the fields `names` of `part` (a row, or a document's part named as
    the row's columns are), labelled as `model`'s form labels them, a choice by its label."""
    pairs = []
    for name in names:
        column = model._meta.get_field(name)
        value = getattr(part, name)
        if column.choices:
            value = dict(column.flatchoices).get(value, value)
        pairs.append((capfirst(column.verbose_name), value))
    return pairs


def fields_of(row):
    """A row's document when it has no items of its own: the fields an editor writes, in
    the model's order, less those derived from others (DERIVED_FIELDS)."""
    opts = row._meta
    derived_fields = getattr(row, "DERIVED_FIELDS", ())
    names = [
        column.name
        for column in (*opts.fields, *opts.many_to_many)
        if column.editable and not column.auto_created and column.name not in derived_fields
    ]
    return [
        (label, [str(related) for related in value.all()] if hasattr(value, "all") else value)
        for label, value in labelled(row, type(row), *names)
    ]


def shown(value):
    """A value as History shows it: text; a time in the newsroom's time zone, to the
    minute; a list joined; "" for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(shown(item) for item in value)
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
        return f"{value:%b} {value.day}, {value:%Y, %H:%M}"
    return str(value)


class Unrestorable(Exception):
    """A revision that can no longer be restored: kept before a change to what History
    stores, or naming a row deleted since."""

    def __init__(self, revision):
        self.revision = revision
        super().__init__(f"Revision {revision.pk} can no longer be restored.")


class _Restored(Exception):
    """Carries a document out of the transaction that restored it, which then rolls back."""

    def __init__(self, document):
        self.document = document


def document_at(revision, row, describe):
    """describe(row as `revision` restores it): read inside a transaction that is rolled
    back, so nothing of the restore is kept. Raises Unrestorable."""
    model = type(row)
    using = router.db_for_write(model)
    try:
        # A nested batch forgets, when it fails, the pages the restore made stale: the
        # request's batch must not rebuild them (a write) from rows rolled back.
        with transaction.atomic(using=using), derived.batch():
            rows = make_room(revision)
            revision.revert(delete=True)
            # A row named since deleted fails here, not at a commit that never comes.
            tables = sorted(model._meta.db_table for model in rows)
            connections[using].check_constraints(table_names=tables)
            restored = model._default_manager.using(using).get(pk=row.pk)
            raise _Restored([(label, _as_value(value)) for label, value in describe(restored)])
    except _Restored as restored:
        return restored.document
    # What a revision may fail with: reversion's own error (data it cannot read), the
    # database's (a missing row), and a row the document's format refuses (ValueError, as
    # pydantic's ValidationError is).
    except (RevertError, DatabaseError, ObjectDoesNotExist, ValueError) as error:
        logger.warning("Revision %s could not be restored to compare", revision.pk, exc_info=True)
        raise Unrestorable(revision) from error


def between(row, older, newer, describe):
    """What changed in `row` from revision `older` to `newer` (a Comparison), each read
    as document_at() reads it. Raises Unrestorable."""
    return compare(*(document_at(revision, row, describe) for revision in (older, newer)))


def _restored_rows(revision):
    """{model: [key, ...]} of the rows `revision` restores."""
    rows = {}
    for content_type, key in revision.version_set.values_list("content_type", "object_id"):
        model = ContentType.objects.get_for_id(content_type).model_class()
        if model is not None:  # a model since removed: reversion's revert says so
            rows.setdefault(model, []).append(key)
    return rows


def make_room(revision):
    """Move the positions of the items `revision` is about to restore out of their way:
    reversion writes them one by one, and one position per item would refuse the first
    write of a reorder (the item in that place has yet to move). As OrderedItemFormSet.save
    does. Returns _restored_rows(revision)."""
    rows = _restored_rows(revision)
    for model, keys in rows.items():
        if any("position" in getattr(c, "fields", ()) for c in model._meta.constraints):
            moved = model._default_manager.filter(pk__in=keys)
            moved.update(position=F("position") + POSITIONS_MOVED_BY)
    return rows


def _as_value(value):
    """A document's value: a list of Items stays one, anything else is text."""
    if isinstance(value, list) and all(isinstance(item, Item) for item in value):
        return value
    return shown(value)


# --- Comparing two documents ---------------------------------------------------------------


@dataclass
class Change:
    """A field that changed: its label and its text with the changed words marked."""

    label: str
    marked: str


@dataclass
class ItemChange:
    """An item of a list added, removed or changed; for a changed one, the fields that
    changed, and how many did not."""

    state: str  # "added", "removed" or "changed"
    title: str
    changes: list
    unchanged: int = 0


@dataclass
class Section:
    """A field of the document that changed (`change`), or a list some of whose items did
    (`items`, with the count of those that did not)."""

    label: str
    change: Change | None = None
    items: list = field(default_factory=list)
    unchanged: int = 0


@dataclass
class Comparison:
    sections: list
    unchanged: int  # fields and lists of the document with nothing changed


def compare(older, newer):
    """What changed from document `older` to `newer`, in `newer`'s order (then any field
    only `older` has)."""
    before, after = dict(older), dict(newer)
    labels = [*after, *(label for label in before if label not in after)]
    sections, unchanged = [], 0
    for label in labels:
        old, new = before.get(label, ""), after.get(label, "")
        if old == new:
            unchanged += 1
        elif isinstance(old, list) or isinstance(new, list):
            sections.append(_list_section(label, _items(old), _items(new)))
        else:
            sections.append(Section(label, change=Change(label, marked(old, new))))
    return Comparison(sections, unchanged)


def _items(value):
    return value if isinstance(value, list) else []


def _list_section(label, old, new):
    section = Section(label)
    for before, after in paired(old, new):
        if before == after:
            section.unchanged += 1
        elif before is None:
            section.items.append(_whole("added", after, lambda text: marked("", text)))
        elif after is None:
            section.items.append(_whole("removed", before, lambda text: marked(text, "")))
        else:
            changes, same = [], 0
            old_fields = dict(before.fields)
            for name, text in after.fields:
                if old_fields.get(name, "") == text:
                    same += 1
                else:
                    changes.append(Change(name, marked(old_fields.get(name, ""), text)))
            section.items.append(ItemChange("changed", after.title, changes, same))
    return section


def _whole(state, item, mark):
    changes = [Change(name, mark(text)) for name, text in item.fields if text]
    return ItemChange(state, item.title, changes)


def paired(old, new):
    """(old item or None, new item or None) for two lists of Items, in reading order:
    equal runs matched first (difflib), then, between them, the most alike items paired
    as one item changed, and the rest removed or added."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from zip(old[i1:i2], new[j1:j2], strict=True)
        else:
            yield from _alike(old[i1:i2], new[j1:j2])


def _alike(old, new):
    """Pair the most alike items of two runs, then the runs on either side of them (as
    difflib's Differ pairs lines); past MOST_PAIRS_WEIGHED, the items in their order."""
    if len(old) * len(new) > MOST_PAIRS_WEIGHED:
        yield from zip_longest(old, new)
        return
    # How many words two items share, as a share of both (difflib's quick_ratio): a
    # count, not a diff, so that weighing every pair stays cheap.
    likeness = {}
    counts = [Counter(WORDS.findall(item.text)) for item in new]
    for i, before in enumerate(old):
        mine = Counter(WORDS.findall(before.text))
        for j, theirs in enumerate(counts):
            total = mine.total() + theirs.total()
            ratio = 2 * (mine & theirs).total() / total if total else 1.0
            if ratio > ALIKE:
                likeness[i, j] = ratio
    yield from _most_alike_first(old, new, likeness, 0, len(old), 0, len(new))


def _most_alike_first(old, new, likeness, i1, i2, j1, j2):
    pairs = [(ratio, i, j) for (i, j), ratio in likeness.items() if i1 <= i < i2 and j1 <= j < j2]
    if not pairs:
        yield from ((before, None) for before in old[i1:i2])
        yield from ((None, after) for after in new[j1:j2])
        return
    _, i, j = max(pairs, key=lambda pair: (pair[0], -pair[1], -pair[2]))
    yield from _most_alike_first(old, new, likeness, i1, i, j1, j)
    yield old[i], new[j]
    yield from _most_alike_first(old, new, likeness, i + 1, i2, j + 1, j2)


def marked(old, new):
    """`new` as HTML, escaped, with the words of `old` it lost in <del> and those it gained
    in <ins>."""
    before, after = TOKENS.findall(old), TOKENS.findall(new)
    # Words are compared without the space after them ("ELN" ending a headline is the
    # "ELN " words are added after). In a long text its commonest words anchor no match
    # (difflib's "autojunk"): else each is weighed against every other, for seconds.
    matcher = SequenceMatcher(None, [t.rstrip() for t in before], [t.rstrip() for t in after])
    runs = []  # (removed, added, kept)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = "".join(before[i1:i2]), "".join(after[j1:j2])
        if tag == "equal":
            runs.append(("", "", added))  # spaced as the newer text is
            continue
        # A word replaced is marked without the space after it, which both texts keep.
        space = added[len(added.rstrip()) :] if removed and added else ""
        if space and removed.endswith(space):
            removed, added = removed.removesuffix(space), added.removesuffix(space)
        runs += [(removed, added, ""), ("", "", space)]
    return format_html_join("", "{}", ((_run(*run),) for run in runs if any(run)))


def _run(removed, added, kept):
    if kept:
        return kept
    return format_html(
        "{}{}",
        format_html("<del>{}</del>", removed) if removed else "",
        format_html("<ins>{}</ins>", added) if added else "",
    )
