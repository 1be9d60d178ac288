"""Numbered citations, as story and timeline pages show them ([1], [2] ...).

Both apps' page code builds on these: a page numbers the articles it cites once, and each
key point or entry lists its citations by those numbers.
"""

from dataclasses import dataclass, field

from django.db.models import StringAgg, TextField, Value
from django.db.models.functions import Cast


@dataclass
class Citable:
    """An article in a page's numbered list; number is its [n] on the page."""

    number: int
    article: object
    is_source: bool

    @property
    def anchor(self):
        return f"source-{self.number}"


@dataclass
class Cited:
    """A key point or timeline entry with the numbered articles it cites."""

    item: object
    citations: list = field(default_factory=list)


def string_agg(path):
    """The ids at `path`, joined with commas: one grouped query reads every item's list."""
    return StringAgg(Cast(path, TextField()), delimiter=Value(","))


def cited_ids(item):
    """The article ids a key point or entry annotated with string_agg() cites."""
    return sorted({int(part) for part in (item.cited_ids or "").split(",") if part})


def cite(items, citables):
    """Each item with its citations as numbered on the page, in number order."""
    by_article = {citable.article.pk: citable for citable in citables}
    cited = [Cited(item, [by_article[pk] for pk in cited_ids(item)]) for item in items]
    for each in cited:
        each.citations.sort(key=lambda citable: citable.number)
    return cited
