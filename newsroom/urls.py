from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.static import serve

from stories.middleware import keyed_on_query
from stories.sitemaps import SITEMAPS, NewsSitemap
from stories.views import robots_txt

handler500 = "newsroom.views.server_error"

# A sitemap's pages are numbered by ?p= (the page cache keys on it alone).
sitemap = keyed_on_query("p")(sitemap_views.sitemap)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "news-sitemap.xml",
        sitemap,
        {"sitemaps": {"news": NewsSitemap}, "template_name": "news_sitemap.xml"},
        name="news_sitemap",
    ),
    # Uploaded hero images. Fine for a small newsroom; a busy one puts a web server or CDN
    # in front of MEDIA_ROOT instead.
    re_path(r"^media/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("stories.urls")),
    path("", include("timelines.urls")),
]
