from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from newsroom import derived
from newsroom.http import content_state, last_modified

from .models import Timeline
from .pages import numbering_story


def numbered_by(stories):
    story = numbering_story(stories)
    return story.pk if story else None


@require_safe
def timeline_detail(request, slug):
    timeline, stories = Timeline.objects.page_for(request.user, slug)
    if timeline is not None and (
        not derived.is_fresh(timeline) or timeline.numbered_by != numbered_by(stories)
    ):
        derived.rebuild(timelines=[timeline.pk], bump=False)
        timeline, stories = Timeline.objects.page_for(request.user, slug)
    if timeline is None:
        raise Http404("No timeline lives at this address.")
    response = render(
        request, "timelines/timeline_detail.html", {"timeline": timeline, "stories": stories}
    )
    if not stories:
        response["Cache-Control"] = "private, no-store"  # an editor's preview
    # The stories showing it change with their status and headlines: as new as the content.
    return last_modified(response, content_state(request).changed_at)
