"""Absolute addresses. SITE_URL is the one source of every absolute address the site gives
out (canonical links, Open Graph, JSON-LD, feeds, sitemaps, robots.txt), whatever host a
request names: a page's stored structured data, written once for every reader, then agrees
with its canonical link, and no Host header can move either."""

from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path):
    """The address of a site path ("/stories/x/"); an absolute URL is left as it is."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def site():
    """SITE_URL as Django's sitemaps take the current site: its scheme and its domain."""
    address = urlsplit(settings.SITE_URL)
    return SimpleNamespace(protocol=address.scheme, domain=address.netloc)
