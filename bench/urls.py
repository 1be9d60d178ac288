"""The site's addresses and /bench/ok, the reference every page's requests/s is compared to.

/bench/ok is a bare view (it returns "ok") behind the site's whole middleware stack, which
reads the content state as for any page. It is never cached, so that it is the same
reference with the page cache on and off: the most a Django view can get from this server
on this machine, which keeps the budgets' ratios independent of the machine.
"""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache

from newsroom.urls import handler500  # noqa: F401
from newsroom.urls import urlpatterns as site_urlpatterns


@never_cache
def ok(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/ok", ok, name="bench_ok"), *site_urlpatterns]
