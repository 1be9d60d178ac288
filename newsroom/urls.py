from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path

from newsroom import views
from stories.middleware import keyed_on_query
from stories.sitemaps import SITEMAPS
from stories.views import news_sitemap, robots_txt

handler500 = "newsroom.views.server_error"

# A sitemap's pages are numbered by ?p= (the page cache keys on it alone).
sitemap = keyed_on_query("p")(sitemap_views.sitemap)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("news-sitemap.xml", news_sitemap, name="news_sitemap"),
    path("favicon.ico", views.favicon, name="favicon"),
    re_path(r"^media/(?P<path>.+)$", views.media, name="media"),
    path("", include("stories.urls")),
    path("", include("timelines.urls")),
]
