"""Whole public pages for anonymous readers, served from Django's cache framework.

Pages are stored under the content version they were rendered at (ContentVersion): any
edit to public content bumps it, so the next request renders afresh, in every process and
on every app server sharing the cache. Editors (anyone with a session) always bypass it.

The middleware sits before the session and auth middleware, so that a hit costs one
primary-key query and one cache read, not a session lookup.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import parse_http_date_safe

from .models import ContentVersion

SKIPPED_PREFIXES = ("/admin/", "/static/", "/media/")
STORED_STATUSES = {200, 301, 404}


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.cache = caches[settings.PAGE_CACHE_ALIAS]
        self.timeout = settings.PAGE_CACHE_SECONDS
        self.enabled = not isinstance(self.cache, DummyCache)

    def __call__(self, request):
        if not self.is_public_read(request):
            return self.get_response(request)
        # Read on every public request: it keys the cache and carries the navigation.
        request.content_state = state = ContentVersion.current()
        if not self.enabled:
            return self.get_response(request)
        # changed_at too: a version number alone could repeat if the row were ever recreated.
        stamp = f"{state.version}.{state.changed_at.timestamp()}"
        key = f"page:{stamp}:{request.get_host()}:{request.get_full_path()}"
        cached = self.cache.get(key)
        if cached is not None:
            return self.rebuild(request, cached)
        response = self.get_response(request)
        if self.is_storable(response):
            self.cache.set(key, self.freeze(response), self.timeout)
        return response

    @staticmethod
    def is_public_read(request):
        return (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not request.path.startswith(SKIPPED_PREFIXES)
        )

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

    def freeze(self, response):
        headers = {k: v for k, v in response.items() if k.lower() not in ("date", "set-cookie")}
        return (response.status_code, headers, response.content)

    def rebuild(self, request, cached):
        status, headers, content = cached
        response = HttpResponse(content, status=status)
        for name, value in headers.items():
            response[name] = value
        if status == 200:
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
            last_modified = parse_http_date_safe(headers.get("Last-Modified", ""))
            return get_conditional_response(
                request, etag=headers.get("ETag"), last_modified=last_modified, response=response
            )
        return response
