"""Whole public pages for anonymous readers, served from Django's cache framework.

A page is stored with the content version it was rendered at (ContentVersion), and served
only while that is still the current one: any edit to public content bumps it, so the next
request renders afresh, in every process and on every app server sharing the cache.

A hit costs one cache round trip and no database query: the content state and the page are
read together (ContentVersion.shared says why that stays exact). The middleware sits before
the session and auth middleware, so that a hit needs no session lookup either.

The cache is not trusted. Entries are plain bytes (a JSON header line, then the body), never
pickles, and anything that is not exactly such an entry is a miss that gets overwritten.
The key holds only what a page depends on (scheme, host, path and the query parameters its
view declares with `keyed_on_query`), so made-up query strings cannot flood the cache, and
only a logged-in editor (a signed marker cookie tied to their session) bypasses it.
"""

import hashlib
import json
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.crypto import constant_time_compare
from django.utils.http import parse_http_date_safe

from newsroom import derived
from newsroom.compression import negotiate

from .models import STATE_KEY, ContentVersion

SKIPPED_PREFIXES = ("/admin/", "/static/", "/media/")
STORED_STATUSES = frozenset({200, 301, 404})
# Set with the session of a logged-in user: a signed digest of their session key.
EDITOR_COOKIE = "newsroom_editor"
EDITOR_SALT = "stories.middleware.editor"
# Recomputed on every response anyway; a stored one could disagree with the body.
UNSTORED_HEADERS = frozenset({"date", "set-cookie", "content-length"})


def keyed_on_query(*names):
    """Declare the query parameters a view reads: the page cache keys on those alone."""

    def decorate(view):
        @wraps(view)
        def keyed(*args, **kwargs):
            return view(*args, **kwargs)

        keyed.page_query = tuple(sorted(names))
        return keyed

    return decorate


def page_key(request):
    """scheme, host, path, the declared query parameters in a normal order, and the encoding
    the response gets (newsroom.compression): one stored page per encoding."""
    query = ""
    if request.META.get("QUERY_STRING"):
        # Resolving costs a little; only requests with a query string pay it.
        try:
            names = getattr(resolve(request.path_info).func, "page_query", ())
        except Resolver404:
            names = ()
        query = urlencode([(name, request.GET[name]) for name in names if name in request.GET])
    encoding = negotiate(request)
    return f"page:{request.scheme}:{request.get_host()}:{request.path}?{query}#{encoding}"


def page_stamp(state):
    """What a stored page must have been rendered at to be served: this content version, by
    this rendering code (a deploy that changes a template serves no page of the old one)."""
    return f"{state.stamp}/{derived.fingerprint()}"


def session_digest(session_key):
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.cache = caches[settings.PAGE_CACHE_ALIAS]
        self.timeout = settings.PAGE_CACHE_SECONDS
        self.enabled = not isinstance(self.cache, DummyCache)

    def __call__(self, request):
        if not self.is_public_read(request):
            return self.mark_editor(request, self.get_response(request))
        if not self.enabled:
            request.content_state = ContentVersion.current()
            return self.get_response(request)
        key = page_key(request)
        found = self.cache.get_many([STATE_KEY, key])
        # The state every public request needs: it keys the page and carries the navigation.
        request.content_state = state = ContentVersion.shared(self.cache, found.get(STATE_KEY))
        entry = found.get(key)
        if entry is not None:
            cached = self.thaw(entry, page_stamp(state))
            if cached is not None:
                return self.conditional(request, cached)
        response = self.mark_editor(request, self.get_response(request))
        if self.is_storable(response):
            self.cache.set(key, self.freeze(response, page_stamp(state)), self.timeout)
        elif entry is not None:
            self.cache.delete(key)  # garbage, or a page of an older version
        return response

    @staticmethod
    def is_public_read(request):
        return (
            request.method in ("GET", "HEAD")
            and not request.path.startswith(SKIPPED_PREFIXES)
            and not PublicPageCacheMiddleware.is_editor(request)
        )

    @staticmethod
    def is_editor(request, session_key=None):
        """A logged-in user's browser, told apart without a database or cache read: anyone
        can send a session cookie, only a login gets the marker signed for it."""
        session_key = session_key or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session_key or EDITOR_COOKIE not in request.COOKIES:
            return False
        marker = request.get_signed_cookie(
            EDITOR_COOKIE, default=None, salt=EDITOR_SALT, max_age=settings.SESSION_COOKIE_AGE
        )
        return marker is not None and constant_time_compare(marker, session_digest(session_key))

    @staticmethod
    def mark_editor(request, response):
        """Give a logged-in user the marker (on the login response or any later page), and
        take it back once they are not."""
        cookies = request.COOKIES
        if not (
            settings.SESSION_COOKIE_NAME in cookies
            or EDITOR_COOKIE in cookies
            or settings.SESSION_COOKIE_NAME in response.cookies  # a login
        ):
            return response  # a reader: no session to look up
        user = getattr(request, "user", None)
        session_key = getattr(getattr(request, "session", None), "session_key", None)
        if user is not None and user.is_authenticated and session_key:
            if not PublicPageCacheMiddleware.is_editor(request, session_key):
                response.set_signed_cookie(
                    EDITOR_COOKIE,
                    session_digest(session_key),
                    salt=EDITOR_SALT,
                    max_age=settings.SESSION_COOKIE_AGE,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        elif EDITOR_COOKIE in cookies:
            response.delete_cookie(EDITOR_COOKIE, samesite="Lax")
        return response

    @staticmethod
    def is_storable(response):
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code in STORED_STATUSES
            and not response.streaming
            and not response.cookies
            and "private" not in cache_control
            and "no-store" not in cache_control
        )

    @staticmethod
    def freeze(response, stamp):
        headers = [[k, v] for k, v in response.items() if k.lower() not in UNSTORED_HEADERS]
        header = json.dumps({"stamp": stamp, "status": response.status_code, "headers": headers})
        return header.encode() + b"\n" + response.content

    @staticmethod
    def thaw(entry, stamp):
        """The response a valid entry stored at `stamp` holds; None for anything else."""
        if type(entry) is not bytes:
            return None
        header, newline, body = entry.partition(b"\n")
        try:
            fields = json.loads(header)
            status, headers = fields["status"], fields["headers"]
            if not newline or fields["stamp"] != stamp or type(status) is not int:
                return None
            if status not in STORED_STATUSES or type(headers) is not list:
                return None
            # Only what freeze() writes: no cookie may reach readers through the cache.
            if not all(
                type(pair) is list
                and len(pair) == 2
                and str(pair[0]).lower() not in UNSTORED_HEADERS
                for pair in headers
            ):
                return None
            # HttpResponse refuses what is not a header (newlines, non-ASCII names): a miss.
            return HttpResponse(body, status=status, headers=dict(headers))
        except (ValueError, TypeError, KeyError):
            return None

    @staticmethod
    def conditional(request, response):
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
            last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
            return get_conditional_response(
                request, etag=response.get("ETag"), last_modified=last_modified, response=response
            )
        return response
