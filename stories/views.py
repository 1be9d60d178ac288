from django.contrib.sitemaps import views as sitemap_views
from django.core.exceptions import BadRequest
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from newsroom import derived
from newsroom.http import content_state, last_modified

from .forms import SearchForm
from .middleware import keyed_on_query
from .models import PreviousSlug, Story
from .search import search_stories
from .sitemaps import NewsSitemap


def preview_or_public(response, story):
    """Editors' previews of unpublished stories must never be stored by a shared cache."""
    if not story.is_public:
        response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@keyed_on_query("before")
def feed(request, slug=None):
    # The feeds are in the content state every request has read: no query to find one.
    state = content_state(request)
    feed = state.feed(slug)
    if slug is not None:
        if feed is None:
            raise Http404("No feed lives at this address.")
        if feed["is_homepage"]:
            return redirect("stories:home", permanent=True)
    page = derived.fresh_all(
        lambda: Story.objects.feed_page(feed and feed["id"], request.GET.get("before"))
    )
    response = render(
        request,
        "stories/feed.html",
        {"feed": feed, "page": page, "is_home": slug is None},
    )
    # Any edit can change which stories a feed lists (a story archived, one scheduled going
    # live), so a feed is as new as the content as a whole.
    return last_modified(response, state.changed_at)


@require_safe
def story_detail(request, slug):
    story = derived.fresh(lambda: Story.objects.page_for(request.user, slug))
    if story is None:
        previous = (
            PreviousSlug.objects.filter(slug=slug, story__in=Story.objects.published())
            .select_related("story")
            .first()
        )
        if previous is None:
            raise Http404("No story lives at this address.")
        return redirect(previous.story, permanent=True)
    response = render(request, "stories/story_detail.html", {"story": story})
    last_modified(response, content_state(request).page_changed_at(story.modified_at))
    return preview_or_public(response, story)


@require_safe
@keyed_on_query("q")
def search(request):
    form = SearchForm(request.GET)
    if not form.is_valid():
        raise BadRequest("That search cannot be run.")
    query = form.cleaned_data["q"]
    results = derived.fresh_all(lambda: search_stories(query)) if query else []
    return render(request, "stories/search.html", {"query": query, "results": results})


@require_safe
def robots_txt(request):
    return render(request, "robots.txt", content_type="text/plain")


@keyed_on_query("p")
def news_sitemap(request):
    """The Google News sitemap; not found while no story is recent, since its schema wants
    one url at least (an empty urlset is invalid)."""
    if not NewsSitemap().items().exists():
        raise Http404("No story was published in the last two days.")
    return sitemap_views.sitemap(
        request, sitemaps={"news": NewsSitemap}, template_name="news_sitemap.xml"
    )
