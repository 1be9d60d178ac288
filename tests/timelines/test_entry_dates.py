"""An entry's date as editors write it: "2016", "Oct 2025", "Dec 11, 2025" (or ISO), with
the precision taken from how it is written, not chosen in a separate box."""

import datetime

import pytest
from django.urls import reverse

from tests.admin_helpers import add_inline, error_text, form_data, inline_index
from tests.factories import PublishedStoryFactory, TimelineEntryFactory, TimelineFactory
from timelines.models import TimelineEntry

D = datetime.date
YEAR, MONTH, DAY = (
    TimelineEntry.Precision.YEAR,
    TimelineEntry.Precision.MONTH,
    TimelineEntry.Precision.DAY,
)


@pytest.mark.parametrize(
    ("written", "date", "precision"),
    [
        ("2016", D(2016, 1, 1), YEAR),
        ("  2016 ", D(2016, 1, 1), YEAR),
        ("Oct 2025", D(2025, 10, 1), MONTH),
        ("october 2025", D(2025, 10, 1), MONTH),
        ("Sept 2025", D(2025, 9, 1), MONTH),
        ("Oct. 2025", D(2025, 10, 1), MONTH),
        ("2025-10", D(2025, 10, 1), MONTH),
        ("Dec 11, 2025", D(2025, 12, 11), DAY),
        ("December 11 2025", D(2025, 12, 11), DAY),
        ("11 Dec 2025", D(2025, 12, 11), DAY),
        ("2025-12-11", D(2025, 12, 11), DAY),
        ("Feb 29, 2024", D(2024, 2, 29), DAY),
    ],
)
def test_a_written_date_gives_its_precision(written, date, precision):
    assert TimelineEntry.read_date(written) == (date, precision)


@pytest.mark.parametrize(
    "written",
    [
        "",
        "Octobre 2025",
        "Oc 2025",
        "2025-13",
        "Feb 30, 2025",
        "Feb 29, 2025",
        "20160",
        "11/12/2025",
        "Dec 2025 11",
        "yesterday",
        "0 Dec 2025",
    ],
)
def test_anything_else_is_refused(written):
    with pytest.raises(ValueError):
        TimelineEntry.read_date(written)


@pytest.mark.parametrize(
    ("precision", "date", "written"),
    [
        (YEAR, D(2016, 1, 1), "2016"),
        (MONTH, D(2025, 10, 1), "Oct 2025"),
        (DAY, D(2025, 12, 11), "Dec 11, 2025"),
    ],
)
def test_an_entry_is_written_as_it_reads_and_read_back_alike(precision, date, written):
    entry = TimelineEntry(date=date, precision=precision)
    assert entry.written_date == written
    assert TimelineEntry.read_date(written) == (date, precision)


# --- In the admin ------------------------------------------------------------------------------


@pytest.fixture
def timeline(db):
    timeline = TimelineFactory(title="Road to the talks")
    PublishedStoryFactory(timeline=timeline)
    TimelineEntryFactory(
        timeline=timeline, date=D(2025, 10, 1), precision=MONTH, position=1, text="Strikes."
    )
    return timeline


def change_url(timeline):
    return reverse("admin:timelines_timeline_change", args=[timeline.pk])


def test_the_entry_form_shows_the_date_as_written_and_no_precision_box(editor_client, timeline):
    data = form_data(editor_client.get(change_url(timeline)))

    assert data["entries-0-date"] == "Oct 2025"
    assert "entries-0-precision" not in data


@pytest.mark.parametrize(
    ("written", "date", "precision"),
    [
        ("2016", D(2016, 1, 1), YEAR),
        ("Oct 2025", D(2025, 10, 1), MONTH),
        ("Dec 11, 2025", D(2025, 12, 11), DAY),
    ],
)
def test_an_entry_saved_in_the_admin_takes_the_precision_it_is_written_with(
    editor_client, timeline, written, date, precision
):
    data = form_data(editor_client.get(change_url(timeline)))
    add_inline(data, "entries", date=written, text="Added in the admin.")

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    entry = TimelineEntry.objects.get(text="Added in the admin.")
    assert (entry.date, entry.precision) == (date, precision)


def test_an_existing_entry_changes_precision_with_its_written_date(editor_client, timeline):
    data = form_data(editor_client.get(change_url(timeline)))
    index = inline_index(data, "entries", "id", timeline.entries.get().pk)
    data[f"entries-{index}-date"] = "2016"

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    entry = timeline.entries.get()
    assert (entry.date, entry.precision) == (D(2016, 1, 1), YEAR)


def test_a_date_that_is_none_comes_back_with_what_was_typed(editor_client, timeline):
    data = form_data(editor_client.get(change_url(timeline)))
    add_inline(data, "entries", date="Octobre 2025", text="Kept as typed.")

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 200
    text = error_text(response)
    assert "Octobre 2025" in text and "Oct 2025" in text  # what was typed, and an example
    assert 'value="Octobre 2025"' in response.text
    assert "Kept as typed." in response.text
    assert not TimelineEntry.objects.filter(text="Kept as typed.").exists()
