from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from stories.sitemaps import SITEMAPS, NewsSitemap
from stories.views import robots_txt

handler500 = "newsroom.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "news-sitemap.xml",
        sitemap_views.sitemap,
        {"sitemaps": {"news": NewsSitemap}, "template_name": "news_sitemap.xml"},
        name="news_sitemap",
    ),
    path("", include("stories.urls")),
    path("", include("timelines.urls")),
]
