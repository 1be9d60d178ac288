from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from stories.models import Story
from stories.views import content_state, last_modified

from .models import Timeline


@require_safe
def timeline_detail(request, slug):
    # Which stories show it changes with their status, so it is read now, not stored; the
    # timeline comes with them, in one query.
    stories = list(
        Story.objects.published()
        .filter(timeline__slug=slug)
        .select_related("timeline")
        .only("headline", "slug", *(f"timeline__{name}" for name in TIMELINE_FIELDS))
        .order_by("headline")
    )
    if stories:
        timeline = stories[0].timeline
    elif request.user.is_authenticated and request.user.has_perm("timelines.view_timeline"):
        timeline = Timeline.objects.filter(slug=slug).first()  # an editor's preview
    else:
        timeline = None  # readers see a timeline once a published story shows it
    if timeline is None:
        raise Http404("No timeline lives at this address.")
    response = render(
        request, "timelines/timeline_detail.html", {"timeline": timeline, "stories": stories}
    )
    if not stories:
        response["Cache-Control"] = "private, no-store"  # an editor's preview
    # The stories showing it change with their status and headlines: as new as the content.
    return last_modified(response, content_state(request).changed_at)


# What the page shows of a timeline.
TIMELINE_FIELDS = ("title", "slug", "description", "body_html")
