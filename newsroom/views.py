"""Site-wide error pages that must work when nothing else does."""

import sys
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.timesince import timeuntil

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
