"""The desk on the admin home page (admin/desk_index.html): stories by state, and the queue of
stories waiting for an editor's review."""

from django import template
from django.urls import reverse

from stories.models import Story, story_states

register = template.Library()

QUEUE_LENGTH = 20


@register.inclusion_tag("admin/stories/desk.html", takes_context=True)
def desk(context):
    user = context["request"].user
    if not user.has_perm("stories.view_story"):
        return {"shown": False}
    changelist = reverse("admin:stories_story_changelist")
    counts = Story.objects.desk_counts()
    waiting = list(Story.objects.waiting_for_review()[:QUEUE_LENGTH])
    # Each count opens the story list at its state (StoryAdmin's State filter).
    filters = {label: f"{changelist}?state={key}" for key, (label, _) in story_states().items()}
    return {
        "shown": True,
        "states": [(label, count, filters[label]) for label, count in counts.items()],
        "waiting": waiting,
        "waiting_total": counts["In review"],
        "queue_url": filters["In review"],
    }
