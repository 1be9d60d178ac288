from django.urls import path

from . import feeds, views

app_name = "stories"

urlpatterns = [
    path("", views.feed, name="home"),
    path("rss.xml", feeds.StoriesRSS(), name="rss"),
    path("atom.xml", feeds.StoriesAtom(), name="atom"),
    path("feeds/<slug:slug>/", views.feed, name="feed"),
    path("feeds/<slug:slug>/rss.xml", feeds.StoriesRSS(), name="feed_rss"),
    path("feeds/<slug:slug>/atom.xml", feeds.StoriesAtom(), name="feed_atom"),
    path("stories/<slug:slug>/", views.story_detail, name="story"),
    path("search/", views.search, name="search"),
]
