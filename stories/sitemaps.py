from django.contrib.sitemaps import Sitemap
from django.utils import timezone

from newsroom import addresses
from timelines.models import Timeline

from .models import Feed, Story


class SiteSitemap(Sitemap):
    """A sitemap at SITE_URL's address (newsroom.addresses), not the request's host."""

    def get_urls(self, page=1, site=None, protocol=None):
        site = addresses.site()
        return super().get_urls(page, site=site, protocol=site.protocol)


class StorySitemap(SiteSitemap):
    changefreq = "hourly"
    priority = 0.8
    limit = 5000

    def items(self):
        return Story.objects.published().only("slug", "updated_at").order_by("-updated_at", "-pk")

    def lastmod(self, story):
        return story.updated_at


class TimelineSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self):
        return Timeline.objects.published().only("slug", "modified_at").order_by("slug")

    def lastmod(self, timeline):
        return timeline.modified_at


class FeedSitemap(SiteSitemap):
    changefreq = "hourly"
    priority = 0.6

    def items(self):
        return Feed.objects.all()


class NewsSitemap(StorySitemap):
    """Google News sitemap: stories first published in the last two days."""

    limit = 1000

    def items(self):
        since = timezone.now() - timezone.timedelta(days=2)
        return (
            Story.objects.published()
            .filter(published_at__gte=since)
            .only("slug", "headline", "language", "published_at", "updated_at")
            .order_by("-published_at")
        )


SITEMAPS = {"stories": StorySitemap, "timelines": TimelineSitemap, "feeds": FeedSitemap}
