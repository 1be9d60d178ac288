"""Database constraints shared by the newsroom's models."""

from django.db import models
from django.db.models.functions import Length, Replace
from django.db.models.lookups import GreaterThan

WHITE_SPACE = (" ", "\t", "\n", "\r")


def not_blank(field, name):
    """A CHECK that a text column holds something other than white space.

    SQL's TRIM removes spaces only, so tabs and line breaks are removed one by one.
    """
    stripped = models.F(field)
    for character in WHITE_SPACE:
        stripped = Replace(stripped, models.Value(character), models.Value(""))
    return models.CheckConstraint(
        condition=GreaterThan(Length(stripped), 0),
        name=name,
        violation_error_message=f"The {field.replace('_', ' ')} must not be empty.",
    )


def http_url(field, name, *, optional=False):
    """A CHECK that a URL column holds an http(s) URL (or nothing, when optional)."""
    condition = models.Q(**{f"{field}__istartswith": "http://"}) | models.Q(
        **{f"{field}__istartswith": "https://"}
    )
    if optional:
        condition |= models.Q(**{field: ""})
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message=f"The {field.replace('_', ' ')} must be an http or https URL.",
    )


def one_position(parent, name, items):
    """One item per position within its parent (a story's sources, a timeline's entries)."""
    return models.UniqueConstraint(
        fields=[parent, "position"],
        name=name,
        violation_error_message=f"Two {items} of this {parent} have the same position.",
    )
