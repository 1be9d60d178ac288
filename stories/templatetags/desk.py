"""The desk on the admin home page (admin/desk_index.html): stories by state, and the queue of
stories waiting for an editor's review."""

from django import template
from django.urls import reverse

from stories.models import Story

register = template.Library()

# Each state's stories in the story list: its filter, as the list's own links write it.
STATE_FILTERS = {
    "Draft": "status__exact=draft",
    "In review": "status__exact=review",
    "Scheduled": "status__exact=published",
    "Published": "status__exact=published",
    "Archived": "status__exact=archived",
}
QUEUE_LENGTH = 20


@register.inclusion_tag("admin/stories/desk.html", takes_context=True)
def desk(context):
    user = context["request"].user
    if not user.has_perm("stories.view_story"):
        return {"shown": False}
    changelist = reverse("admin:stories_story_changelist")
    counts = Story.objects.desk_counts()
    waiting = list(Story.objects.waiting_for_review()[:QUEUE_LENGTH])
    return {
        "shown": True,
        "states": [
            (label, count, f"{changelist}?{STATE_FILTERS[label]}")
            for label, count in counts.items()
        ],
        "waiting": waiting,
        "waiting_total": counts["In review"],
        "queue_url": f"{changelist}?{STATE_FILTERS['In review']}",
    }
