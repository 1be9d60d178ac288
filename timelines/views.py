from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from stories.models import Story
from stories.views import content_state, last_modified

from .models import Timeline


@require_safe
def timeline_detail(request, slug):
    timelines = Timeline.objects.all()
    if not (request.user.is_authenticated and request.user.has_perm("timelines.view_timeline")):
        timelines = timelines.published()
    timeline = next(iter(timelines.filter(slug=slug).order_by()[:1]), None)
    if timeline is None:
        raise Http404("No timeline lives at this address.")
    # Which stories show it changes with their status, so it is read now, not stored.
    stories = list(
        Story.objects.published()
        .filter(timeline=timeline)
        .only("headline", "slug")
        .order_by("headline")
    )
    response = render(
        request, "timelines/timeline_detail.html", {"timeline": timeline, "stories": stories}
    )
    if not stories:
        response["Cache-Control"] = "private, no-store"  # an editor's preview
    # The stories showing it change with their status and headlines: as new as the content.
    return last_modified(response, content_state(request).changed_at)
