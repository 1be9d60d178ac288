from adminsortable2.admin import SortableAdminBase, SortableInlineAdminMixin
from django import forms
from django.contrib import admin
from django.db.models import Case, F, Q, When
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from newsroom.editing import CitationsField, EditorialAdmin, OrderedItemForm, OrderedItemFormSet
from newsroom.history import register
from stories.models import Article, Source, Story

from .models import EntryCitation, Timeline, TimelineEntry

register(EntryCitation)
register(TimelineEntry, follow=["citation_links"])
# The version counter stays out of revisions: a revert moves it on, never back.
register(Timeline, follow=["entries"], exclude=["version"])


def numbering_order(timeline_id):
    """The articles the stories showing a timeline list as sources, in the order its page
    numbers them (timelines.pages): the first published story's sources, in their order,
    then the other stories' (published ones first)."""
    if not timeline_id:
        return []
    live = Q(story__in=Story.objects.published())
    sources = Source.objects.filter(story__timeline_id=timeline_id).order_by(
        Case(When(live, then=0), default=1),
        F("story__published_at").asc(nulls_last=True),
        "story_id",
        "position",
    )
    return list(sources.values_list("article_id", flat=True))


class WrittenDateField(forms.CharField):
    """An entry's date as editors write it (2016, Oct 2025, Dec 11, 2025): its precision
    is how it is written (TimelineEntry.read_date). Cleans to (date, precision)."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=40,
            help_text="2016 for a year, Oct 2025 for a month, Dec 11, 2025 for a day.",
            widget=forms.TextInput(attrs={"placeholder": "2016, Oct 2025 or Dec 11, 2025"}),
            **kwargs,
        )

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return TimelineEntry.read_date(value)
        except ValueError:
            raise forms.ValidationError(
                "“%(value)s” is not a date such as 2016, Oct 2025 or Dec 11, 2025.",
                code="invalid",
                params={"value": value},
            ) from None


class EntryInlineForm(OrderedItemForm):
    """An entry citing articles, picked from the sources of the stories that show it."""

    takes_parent = True  # OrderedItemFormSet passes the timeline, also to new entries
    date = WrittenDateField(label="Date")
    citations = CitationsField(
        Article.objects.none(),
        required=False,
        help_text="Articles that the stories showing this timeline list as sources.",
    )

    class Meta:
        model = TimelineEntry
        fields = ["position", "date", "is_future", "text", "citations"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, parent=None, numbering=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["date"] = self.instance.written_date
        timeline_id = parent.pk if parent is not None else self.instance.timeline_id
        field = self.fields["citations"]
        choices = Q(sources__story__timeline_id=timeline_id) if timeline_id else Q(pk__in=[])
        if self.instance.pk:
            choices |= Q(entry_citation_links__entry=self.instance)
            self.initial["citations"] = list(
                self.instance.citation_links.values_list("article_id", flat=True)
            )
        offered = Article.objects.filter(choices).select_related("outlet").distinct()
        if numbering is None:
            numbering = numbering_order(timeline_id)
        order = list(dict.fromkeys([*numbering, *self.initial.get("citations", [])]))
        field.numbers = {pk: n for n, pk in enumerate(order, start=1)}
        field.queryset = offered.order_by(
            Case(
                *(When(pk=pk, then=n) for pk, n in field.numbers.items()), default=len(order) + 1
            ),
            "pk",
        )

    def clean_date(self):
        """The date for the model, its precision set on the entry (the form has no box for
        it: it is how the date is written)."""
        written = self.cleaned_data["date"]
        if written is None:
            return None
        date, self.instance.precision = written
        return date


class EntryFormSet(OrderedItemFormSet):
    """The timeline's numbering read once for all its entries' forms, not once each."""

    @cached_property
    def numbering(self):
        return numbering_order(self.instance.pk)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "numbering": self.numbering}


class EntryInline(SortableInlineAdminMixin, admin.StackedInline):
    model = TimelineEntry
    form = EntryInlineForm
    formset = EntryFormSet
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
