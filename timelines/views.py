from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from stories.views import last_modified

from .models import Timeline
from .pages import TimelinePage, with_stories


@require_safe
def timeline_detail(request, slug):
    timelines = Timeline.objects.all()
    if not (request.user.is_authenticated and request.user.has_perm("timelines.view_timeline")):
        timelines = timelines.published()
    timeline = with_stories(timelines).filter(slug=slug).first()
    if timeline is None:
        raise Http404("No timeline lives at this address.")
    page = TimelinePage(timeline)
    response = render(
        request, "timelines/timeline_detail.html", {"timeline": timeline, "page": page}
    )
    if not page.stories:
        response["Cache-Control"] = "private, no-store"  # an editor's preview
    return last_modified(response, timeline.modified_at)
