"""Publishing like a newsroom: what each button on the story screen does, and who is offered
it in which state. The story form (StoryAdminForm) enforces it on the server, whatever is
posted; the admin shows the buttons (StoryAdmin.render_change_form)."""

from django.utils import timezone

from .models import Story

S = Story.Status

# action: (the status it leaves the story in, None: as it is; for editors only)
ACTIONS = {
    "save": (None, True),
    "draft": (S.DRAFT, False),
    "review": (S.IN_REVIEW, False),
    "publish": (S.PUBLISHED, True),
    "schedule": (S.PUBLISHED, True),
    "update": (None, True),
    "correction": (None, True),
    "send_back": (S.DRAFT, True),
    "unpublish": (S.DRAFT, True),
    "archive": (S.ARCHIVED, True),
}

# Buttons by state, in the order shown: (reporters', editors').
OFFERED = {
    "new": (["draft", "review"], ["draft", "review", "publish", "schedule"]),
    "draft": (["draft", "review"], ["draft", "review", "publish", "schedule"]),
    "review": (["review", "draft"], ["publish", "schedule", "send_back", "review"]),
    "published": ([], ["save", "update", "correction", "unpublish", "archive"]),
    "scheduled": ([], ["publish", "schedule", "unpublish"]),
    "archived": ([], ["draft", "publish"]),
}

LABELS = {
    "save": ("Save", "A minor edit: readers see no new Updated time."),
    "draft": ("Save draft", "Keep it to yourself for now."),
    "review": ("Submit for review", "An editor checks it before it is published."),
    "publish": ("Publish now", "Readers see it at once."),
    "schedule": ("Schedule…", "Published at the time given under Publication times."),
    "update": ("Publish update", "Moves Updated to now; readers get the note below."),
    "correction": ("Publish correction", "Readers get the note below as a correction."),
    "send_back": ("Send back to reporter", "Back to draft, with your comment for them."),
    "unpublish": ("Unpublish", "Takes it off the site: it goes back to draft."),
    "archive": ("Archive", "Off the site for good: kept, and only an editor brings it back."),
}
# Where a state gives a button other words.
LABELS_IN = {
    ("review", "review"): ("Save, still in review", "Keeps it in the editors' queue."),
    ("review", "draft"): ("Withdraw to draft", "Takes it out of the editors' queue."),
    ("scheduled", "schedule"): ("Reschedule…", "Publish at the new time given below."),
    ("archived", "draft"): ("Restore as draft", "Back on the desk, off the site."),
}


def state_of(story):
    """The story's state as the buttons see it: new, draft, review, published (live),
    scheduled or archived."""
    if story is None or story.pk is None:
        return "new"
    if story.status == S.PUBLISHED:
        return "published" if story.published_at <= timezone.now() else "scheduled"
    return {S.DRAFT: "draft", S.IN_REVIEW: "review", S.ARCHIVED: "archived"}[story.status]


def offered(story, editor):
    """[(action, label, help)] for this story and role."""
    state = state_of(story)
    actions = OFFERED[state][1 if editor else 0]
    return [(action, *LABELS_IN.get((state, action), LABELS[action])) for action in actions]


def history_comment(action, review_comment=""):
    """What History says the action did."""
    said = {
        "review": "Submitted for review",
        "send_back": f"Sent back to the reporter: {review_comment}",
        "publish": "Published",
        "schedule": "Scheduled",
        "update": "Published an update",
        "correction": "Published a correction",
        "unpublish": "Unpublished",
        "archive": "Archived",
        "draft": "Saved as draft",
    }
    return said.get(action, "")
