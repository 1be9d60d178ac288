"""The Jinja2 environment for the public pages.

Autoescaping is on for every template: editor text reaches the page escaped unless it is
Markdown that stories.markdown has already sanitized (marked safe with |safe there).
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.http import urlencode
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from newsroom.addresses import absolute_url
from stories.feeds import xml_safe
from stories.fields import text_direction


@functools.lru_cache(maxsize=4096)
def url(name, *args, **kwargs):
    """reverse(), remembered: a page links to the same few addresses on every request."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


# Hashed static names are fixed for the life of a process (the manifest is read once).
static = functools.lru_cache(maxsize=256)(static)


@receiver(setting_changed)
def forget_addresses(setting, **kwargs):
    """Tests that change the static storage or the URLs must not get remembered addresses."""
    if setting in {"STORAGES", "STATIC_URL", "ROOT_URLCONF"}:
        static.cache_clear()
        url.cache_clear()


# The largest whole unit is precise enough for readers: "2 hours ago", "3 weeks ago".
AGO_UNITS = (
    (365 * 86400, "year", "years"),
    (30 * 86400, "month", "months"),
    (7 * 86400, "week", "weeks"),
    (86400, "day", "days"),
    (3600, "hour", "hours"),
    (60, "minute", "minutes"),
)
MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def ago(value):
    """'2 hours ago'. Plain arithmetic: a feed page calls it for every card, and Django's
    calendar-exact timesince() cost more than the rest of the card."""
    if value is None:
        return ""
    seconds = (timezone.now() - value).total_seconds()
    for size, one, many in AGO_UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {one if count == 1 else many} ago"
    return "just now"  # under a minute, or a scheduled time in the future


def isotime(value):
    return value.isoformat() if value else ""


# Where a stored story card (Story.card_html) says how long ago the story was updated: a
# comment, which escaped editor text can never contain, filled in when a page is served.
AGO_SLOT = Markup("<!--ago-->")


def card(story):
    """A story's stored card, with its time filled in: a feed page's whole work per story."""
    return Markup(story.card_html.replace(AGO_SLOT, ago(story.updated_at), 1))


def time_ago(value, prefix=""):
    """<time> reading "Updated 2 hours ago", with the exact time on hover."""
    return format_html(
        '<time datetime="{}" title="{}">{}{}</time>',
        isotime(value),
        exact_time(value),
        prefix,
        ago(value),
    )


def plural(count, word, words=None):
    """'1 article', '3 articles'."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def exact_time(value):
    """Dec 11, 2025, 14:05 UTC"""
    if value is None:
        return ""
    value = timezone.localtime(value)
    return (
        f"{MONTHS[value.month]} {value.day}, {value.year}, "
        f"{value.hour:02d}:{value.minute:02d} {value.tzname()}"
    )


def short_date(value):
    if value is None:
        return ""
    value = timezone.localtime(value)
    return f"{MONTHS[value.month]} {value.day}, {value.year}"


def lang(tag):
    """lang="…" dir="…" for a text in another language than the page's; nothing for blank."""
    if not tag:
        return ""
    return format_html(' lang="{}" dir="{}"', tag, text_direction(tag))


def environment(**options):
    options.setdefault("autoescape", select_autoescape(default=True, default_for_string=True))
    env = Environment(trim_blocks=True, lstrip_blocks=True, **options)
    env.globals.update(
        {
            "static": static,
            "absolute_url": absolute_url,
            "lang": lang,
            "url": url,
            "urlencode": urlencode,
            "site_name": settings.SITE_NAME,
            "json_script": json_script,
            # Python, not template macros: feeds call them for every card.
            "time_ago": time_ago,
            "plural": plural,
            "ago_slot": AGO_SLOT,
        }
    )
    env.filters.update(
        {
            "ago": ago,
            "card": card,
            "isotime": isotime,
            "exact_time": exact_time,
            "short_date": short_date,
            "xml_safe": xml_safe,
        }
    )
    return env
