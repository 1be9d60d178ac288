"""What every public page's response says about the content's state, for both apps' views."""

from django.utils.http import http_date

from stories.models import ContentVersion


def content_state(request):
    """The content state the page cache middleware read for this request (or read it now)."""
    return getattr(request, "content_state", None) or ContentVersion.current()


def last_modified(response, when):
    """Last-Modified for conditional GET (ConditionalGetMiddleware answers 304s)."""
    response["Last-Modified"] = http_date(when.timestamp())
    return response
