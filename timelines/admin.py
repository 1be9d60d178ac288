from adminsortable2.admin import SortableAdminBase, SortableInlineAdminMixin
from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html, format_html_join

from newsroom.editing import CitationsField, EditorialAdmin, OrderedItemForm, OrderedItemFormSet
from newsroom.history import register
from stories.models import Article, Story

from .models import EntryCitation, Timeline, TimelineEntry

register(EntryCitation)
register(TimelineEntry, follow=["citation_links"])
# The version counter stays out of revisions: a revert moves it on, never back.
register(Timeline, follow=["entries"], exclude=["version"])


class EntryInlineForm(OrderedItemForm):
    """An entry citing articles, picked from the sources of the stories that show it."""

    takes_parent = True  # OrderedItemFormSet passes the timeline, also to new entries
    citations = CitationsField(
        Article.objects.none(),
        required=False,
        help_text="Articles that the stories showing this timeline list as sources.",
    )

    class Meta:
        model = TimelineEntry
        fields = ["position", "date", "precision", "is_future", "text", "citations"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        timeline_id = parent.pk if parent is not None else self.instance.timeline_id
        field = self.fields["citations"]
        choices = Q(sources__story__timeline_id=timeline_id) if timeline_id else Q(pk__in=[])
        if self.instance.pk:
            choices |= Q(entry_citation_links__entry=self.instance)
            self.initial["citations"] = list(
                self.instance.citation_links.values_list("article_id", flat=True)
            )
        field.queryset = Article.objects.filter(choices).select_related("outlet").distinct()


class EntryInline(SortableInlineAdminMixin, admin.StackedInline):
    model = TimelineEntry
    form = EntryInlineForm
    formset = OrderedItemFormSet
    extra = 0
    readonly_fields = ["cites"]

    @admin.display(description="Cites")
    def cites(self, entry):
        if not entry.pk:
            return "—"
        articles = [
            link.article for link in entry.citation_links.select_related("article__outlet")
        ]
        if not articles:
            return format_html('<strong class="errornote">{}</strong>', "⚠ No citation")
        return format_html_join(", ", "{}: {}", ((a.outlet.name, a.title) for a in articles))


@admin.register(Timeline)
class TimelineAdmin(SortableAdminBase, EditorialAdmin):
    list_display = ["title", "slug", "story_list", "modified_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ("title",)}
    inlines = [EntryInline]

    def get_deleted_objects(self, objs, request):
        """A timeline that a published (or scheduled) story shows cannot be deleted, by
        anyone: the story would lose its timeline section without a word. The confirmation
        page names those stories; choosing another timeline (or none) for them frees it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        showing = Story.objects.filter(
            timeline__in=[timeline.pk for timeline in objs], status=Story.Status.PUBLISHED
        ).select_related("timeline")
        protected = [
            *protected,
            *(
                format_html("“{}” ({}) shows “{}”", story, story.status_label, story.timeline)
                for story in showing
            ),
        ]
        return deleted, counts, perms_needed, protected

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stories")

    @admin.display(description="Shown by")
    def story_list(self, timeline):
        return ", ".join(story.headline for story in timeline.stories.all()) or "—"
