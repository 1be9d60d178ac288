"""The public pages' time filters (newsroom.jinja2): what readers read next to every story."""

import datetime as dt

import pytest
from django.utils import timezone

from newsroom.jinja2 import ago, exact_time, short_date


def before(**delta):
    return dt.timedelta(**delta)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (before(seconds=5), "just now"),
        (before(seconds=-300), "just now"),  # scheduled: in the future
        (before(minutes=1, seconds=5), "1 minute ago"),
        (before(minutes=59, seconds=59), "59 minutes ago"),
        (before(hours=1, minutes=1), "1 hour ago"),
        (before(hours=23, minutes=59), "23 hours ago"),
        (before(days=1, hours=1), "1 day ago"),
        (before(days=6, hours=23), "6 days ago"),
        (before(days=7, hours=1), "1 week ago"),
        (before(days=29), "4 weeks ago"),
        (before(days=31), "1 month ago"),
        (before(days=364), "12 months ago"),
        (before(days=366), "1 year ago"),
        (before(days=3 * 365 + 10), "3 years ago"),
    ],
)
def test_ago_reads_the_largest_whole_unit(age, expected):
    assert ago(timezone.now() - age) == expected


def test_ago_of_nothing_is_empty():
    assert ago(None) == ""


def test_exact_time_names_the_zone():
    value = dt.datetime(2025, 12, 11, 14, 5, 59, tzinfo=dt.UTC)

    assert exact_time(value) == "Dec 11, 2025, 14:05 UTC"


@pytest.mark.parametrize("zone", ["America/Bogota"])
def test_exact_time_and_short_date_use_the_site_time_zone(settings, zone):
    settings.TIME_ZONE = zone
    value = dt.datetime(2026, 1, 1, 3, 0, tzinfo=dt.UTC)  # Dec 31, 22:00 in Bogotá

    assert exact_time(value) == "Dec 31, 2025, 22:00 -05"
    assert short_date(value) == "Dec 31, 2025"
