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
from django.utils.html import json_script
from django.utils.http import urlencode
from django.utils.timesince import timesince
from jinja2 import Environment, select_autoescape

from stories.feeds import xml_safe


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


def ago(value):
    """'2 hours ago': the first unit of Django's timesince is precise enough for readers."""
    if value is None:
        return ""
    if timezone.now() - value < timezone.timedelta(minutes=1):
        return "just now"
    return f"{timesince(value).split(',')[0]} ago"


def isotime(value):
    return value.isoformat() if value else ""


def exact_time(value):
    """Dec 11, 2025, 14:05 UTC"""
    if value is None:
        return ""
    value = timezone.localtime(value)
    return f"{value:%b} {value.day}, {value:%Y, %H:%M} {value.tzname()}"


def short_date(value):
    if value is None:
        return ""
    value = timezone.localtime(value)
    return f"{value:%b} {value.day}, {value.year}"


def environment(**options):
    options.setdefault("autoescape", select_autoescape(default=True, default_for_string=True))
    env = Environment(trim_blocks=True, lstrip_blocks=True, **options)
    env.globals.update(
        {
            "static": static,
            "url": url,
            "urlencode": urlencode,
            "site_name": settings.SITE_NAME,
            "json_script": json_script,
        }
    )
    env.filters.update(
        {
            "ago": ago,
            "isotime": isotime,
            "exact_time": exact_time,
            "short_date": short_date,
            "xml_safe": xml_safe,
        }
    )
    return env
