"""History's revisions (newsroom.history) hold what django-reversion would store.

The loader writes revisions itself, many at once; reversion reads them back on a revert with
Django's serializers. So each row's stored data must be exactly what Django's serializer
makes of it, for every model History keeps: checked here against the serializer itself.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command

from newsroom.history import DECLARED, Followed, dump
from stories.models import Feed, Story

SEED = Path(settings.BASE_DIR) / "fixtures" / "us-colombia-trump-petro-talks.yaml"


@pytest.fixture
def seed(db):
    call_command("load_stories", str(SEED), verbosity=0)
    return Story.objects.get()


def by_pk(data):
    """Many-to-many values as a set: which rows, not the order a query gave them in."""
    return {
        **data,
        "fields": {
            name: sorted(value) if isinstance(value, list) else value
            for name, value in data["fields"].items()
        },
    }


@pytest.mark.parametrize("model", sorted(DECLARED, key=str), ids=lambda model: model.__name__)
def test_a_row_is_stored_as_django_serializes_it(seed, model):
    _, fields = DECLARED[model]
    rows = list(model.objects.order_by("pk")[:20])
    assert rows, f"the seed has no {model.__name__}"

    expected = serializers.serialize("python", rows, fields=fields)

    assert [by_pk(dump(row, fields)) for row in rows] == [by_pk(data) for data in expected]


def test_many_to_many_values_come_from_memory_when_given(seed, django_assert_num_queries):
    _, fields = DECLARED[Story]
    followed = Followed()
    followed.set(seed, "feeds", list(Feed.objects.all()))

    with django_assert_num_queries(0):
        data = dump(seed, fields, followed)

    assert sorted(data["fields"]["feeds"]) == sorted(Feed.objects.values_list("pk", flat=True))
