"""Text responses compressed for readers' clients: Brotli or gzip, as the request accepts.

WhiteNoise serves static files compressed already; this is for pages, feeds and sitemaps.
It sits below the page cache (settings.MIDDLEWARE), whose key names the encoding a request
gets (stories.middleware.page_key): a cached page is compressed once per encoding, when it is
rendered, and served as stored.

Only public responses are compressed: a page that sets a cookie or is private (the admin,
with its CSRF token) is left as it is, so that no secret shares a compressed body with text
an attacker chose (BREACH).
"""

import gzip
import re

import brotli
from django.utils.cache import patch_vary_headers

# Encodings by preference: Brotli is about a fifth smaller than gzip on our pages.
ENCODINGS = ("br", "gzip")
# Quality 5 and level 6: most of the gain for a fraction of the time of the highest levels.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
# Shorter bodies gain nothing worth the work.
MIN_LENGTH = 200
COMPRESSIBLE_TYPES = re.compile(
    r"^(text/|application/(json|xml|rss\+xml|atom\+xml|ld\+json|javascript)|image/svg\+xml)"
)
CODING = re.compile(r"^\s*([\w*-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def negotiate(request):
    """'br', 'gzip' or '' (as it is): the best encoding the request's Accept-Encoding takes."""
    header = request.META.get("HTTP_ACCEPT_ENCODING", "")
    if not header:
        return ""
    weights = {}
    for part in header.lower().split(","):
        match = CODING.match(part)
        if match:
            try:
                weights[match[1]] = float(match[2]) if match[2] else 1.0
            except ValueError:
                continue
    default = weights.get("*", 0.0)  # what the client says of codings it does not name
    best = max(ENCODINGS, key=lambda name: (weights.get(name, default), -ENCODINGS.index(name)))
    return best if weights.get(best, default) > 0 else ""


def compress(content, encoding):
    if encoding == "br":
        return brotli.compress(content, quality=BROTLI_QUALITY)
    return gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)


def is_compressible(response):
    cache_control = response.get("Cache-Control", "")
    return (
        not response.streaming
        and not response.has_header("Content-Encoding")
        and COMPRESSIBLE_TYPES.match(response.get("Content-Type", ""))
        and len(response.content) >= MIN_LENGTH
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


class CompressionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_compressible(response):
            return response
        # Every compressible response varies: a cache must not give one client another's.
        patch_vary_headers(response, ("Accept-Encoding",))
        encoding = negotiate(request)
        if not encoding:
            return response
        content = compress(response.content, encoding)
        if len(content) >= len(response.content):
            return response
        response.content = content
        response["Content-Length"] = str(len(content))
        response["Content-Encoding"] = encoding
        etag = response.get("ETag")
        if etag and etag.startswith('"'):  # the same content, no longer the same bytes
            response["ETag"] = "W/" + etag
        return response
