"""Site-wide error pages that must work when nothing else does, and what the technical
error page (DEBUG) may show."""

import re
import sys
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.timesince import timeuntil
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.http import require_safe
from django.views.static import serve

# How long browsers keep an uploaded image or the icon address: a day, since an upload's
# name can be reused after it is deleted.
MEDIA_MAX_AGE = 24 * 60 * 60

# user:password@ in any URL (redis://:secret@host, postgres://user:secret@host/db).
URL_PASSWORD = re.compile(r"(?P<start>\w[\w+.-]*://[^/@\s:]*:)[^@\s]*@")


class SecretsFilter(SafeExceptionReporterFilter):
    """Django's filter (names like PASSWORD, KEY, TOKEN) plus the passwords inside URLs,
    which hide under names like LOCATION, DATABASE_URL and CACHE_URL."""

    def mask_urls(self, value):
        if type(value) is str:  # not lazy objects: reading them could run anything
            return URL_PASSWORD.sub(rf"\g<start>{self.cleansed_substitute}@", value)
        return value

    def cleanse_setting(self, key, value):
        return self.mask_urls(super().cleanse_setting(key, value))

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.mask_urls(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


# Seconds a client should wait before retrying while the database is away.
RETRY_AFTER = 5


def server_error(request):
    """500, or 503 when the database is unreachable: an outage, not a bug, and it passes.

    Both templates are self-contained: rendering them must not need the database.
    """
    _, exc, _ = sys.exc_info()
    # OperationalError / InterfaceError: the server is down, restarting or unreachable.
    if isinstance(exc, OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))


def locked_out(request, *args, **kwargs):
    """django-axes' answer to password guessing: how long to wait, in words."""
    cooloff = timedelta(hours=settings.AXES_COOLOFF_TIME)
    context = {"wait": timeuntil(timezone.now() + cooloff + timedelta(seconds=1))}
    return render(request, "admin/locked_out.html", context, status=429)


@require_safe
def favicon(request):
    """/favicon.ico, which browsers and crawlers ask for whatever a page's <link rel=icon>
    says: the static file, under its versioned address."""
    response = HttpResponseRedirect(static("favicon.ico"))
    patch_cache_control(response, public=True, max_age=MEDIA_MAX_AGE)
    return response


@require_safe
def media(request, path):
    """An uploaded file. Fine for a small newsroom; a busy one puts a web server or CDN in
    front of MEDIA_ROOT instead."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    patch_cache_control(response, public=True, max_age=MEDIA_MAX_AGE)
    return response
