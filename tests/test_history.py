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


def test_a_revert_serves_the_page_as_it_was_with_its_derived_parts_rebuilt(admin_client, seed):
    """Revisions leave the stored page out (DERIVED_FIELDS): a revert restores the text,
    and the page readers are served is rebuilt from it, key point bodies included."""
    from django.urls import reverse
    from reversion.models import Version

    from tests.admin_helpers import error_text, form_data

    point = seed.key_points.order_by("position").first()
    original_body = point.body_html
    change = reverse("admin:stories_story_change", args=[seed.pk])
    data = form_data(admin_client.get(change))
    data["headline"] = "A headline written later"
    data["key_points-0-body"] = "A body written later."
    assert admin_client.post(change, data).status_code == 302
    loaded = Version.objects.get_for_object(seed).order_by("pk").first()
    assert "body_html" not in loaded.field_dict  # the stored page is not in History
    revision = reverse("admin:stories_story_revision", args=[seed.pk, loaded.pk])

    response = admin_client.post(revision, form_data(admin_client.get(revision)))

    assert response.status_code == 302, error_text(response)
    page = admin_client.get(seed.get_absolute_url()).content.decode()
    assert seed.headline in page and "A headline written later" not in page
    assert original_body in page
    assert "A body written later." not in page
