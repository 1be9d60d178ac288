from dataclasses import dataclass
from itertools import zip_longest

from adminsortable2.admin import SortableAdminBase, SortableInlineAdminMixin
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Q, When
from django.forms.models import ModelChoiceIterator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from newsroom.editing import CitationsField, EditorialAdmin, OrderedItemForm, OrderedItemFormSet
from newsroom.history import register
from newsroom.revisions import Item, labelled
from stories.models import Article, Outlet, Source, Story

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


@dataclass
class OfferedSource:
    """A row of the sources table of the story screen the timeline was opened from, as its
    form stood (saved or not): number [n] there, URL, title and outlet as typed."""

    number: int
    url: str
    title: str
    outlet: str

    PREFIX = "offered-"

    @property
    def value(self):
        return f"{self.PREFIX}{self.number}"

    @property
    def label(self):
        return f"[{self.number}] {self.outlet or self.url}: {self.title or self.url}"


class OfferedSources:
    """The story screen's sources, which its script puts in the address of the timeline it
    opens (source, source_title, source_outlet: one each per row, in table order), so that
    a timeline made from a story cites the story's sources before either is saved.

    A source that is no article yet becomes one when an entry citing it is saved (article());
    the story's own save then finds it by its URL. A known article is cited as it is: what
    the story form says of it is the story form's to save, under its rules."""

    def __init__(self, query=None):
        self.by_value = {}
        self._articles = {}  # URL: the article saved for it
        if not query:
            return
        # As many as Django takes in one address (DATA_UPLOAD_MAX_NUMBER_FIELDS).
        rows = zip_longest(
            query.getlist("source"),
            query.getlist("source_title"),
            query.getlist("source_outlet"),
            fillvalue="",
        )
        seen = set()
        for number, (url, title, outlet) in enumerate(rows, start=1):
            url, title, outlet = url.strip(), " ".join(title.split()), outlet.strip()
            if not _is_article_address(url) or url in seen:
                continue  # not citable until the story form gives it a real address
            seen.add(url)
            offered = OfferedSource(number, url, title[:500], outlet[:200])
            self.by_value[offered.value] = offered

    def __iter__(self):
        return iter(self.by_value.values())

    def problem(self, value):
        """Why the source chosen as `value` cannot be cited yet, or None."""
        offered = self.by_value[value]
        if Article.objects.filter(url=offered.url).exists():
            return None
        where = f"Source [{offered.number}] ({offered.url}) of the story"
        if not offered.title:
            return f"{where} has no title yet: give it one in the story form, then cite it."
        if not offered.outlet and Outlet.objects.for_address(offered.url) is None:
            return f"{where} has no outlet yet: choose or name it in the story form."
        return None

    def article(self, value):
        """The article the source chosen as `value` is: known by its URL, or made now."""
        offered = self.by_value[value]
        if offered.url not in self._articles:
            article = Article.objects.filter(url=offered.url).first()
            if article is None:
                outlet = (
                    Outlet.objects.get_or_create_named(offered.outlet)
                    if offered.outlet
                    else Outlet.objects.for_address(offered.url)
                )
                article = Article(url=offered.url, title=offered.title, outlet=outlet)
                article.full_clean()
                article.save()
            self._articles[offered.url] = article
        return self._articles[offered.url]


def _is_article_address(url):
    """Whether an article may have this address: the model field's own rules (http or
    https only, its length)."""
    try:
        Article._meta.get_field("url").run_validators(url)
    except ValidationError:
        return False
    return True


class OfferedChoices(ModelChoiceIterator):
    """The field's articles, then the story screen's sources not among them."""

    def __iter__(self):
        yield from super().__iter__()
        yield from ((offered.value, offered.label) for offered in self.field.more_offered())

    def __len__(self):
        return super().__len__() + len(self.field.more_offered())


class EntryCitationsField(CitationsField):
    """Articles an entry cites: the stories showing the timeline list them as sources; and,
    on a timeline opened from a story screen, that screen's sources ("offered-<n>")."""

    iterator = OfferedChoices
    offered = OfferedSources()

    def more_offered(self):
        if not self.offered.by_value:
            return []
        known = {article.url for article in self.queryset}
        return [offered for offered in self.offered if offered.url not in known]

    def clean(self, value):
        value = [str(item) for item in value or []]
        chosen = [item for item in value if item.startswith(OfferedSource.PREFIX)]
        articles = super().clean([item for item in value if item not in chosen])
        for item in chosen:
            if item not in self.offered.by_value:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
            problem = self.offered.problem(item)
            if problem:
                raise ValidationError(problem, code="not_citable")
        return [*articles, *chosen]

    def resolve(self, cleaned):
        """The articles `cleaned` names, sources offered by the story screen saved now."""
        return [self.offered.article(item) if isinstance(item, str) else item for item in cleaned]


class EntryInlineForm(OrderedItemForm):
    """An entry citing articles, picked from the sources of the stories that show it."""

    takes_parent = True  # OrderedItemFormSet passes the timeline, also to new entries
    date = WrittenDateField(label="Date")
    # The form's own field, not the model's: it may name sources of a story screen that
    # are no articles yet (TimelineAdmin.save_related writes the citations).
    citations = EntryCitationsField(
        Article.objects.none(),
        required=False,
        help_text="Articles that the stories showing this timeline list as sources.",
    )

    class Meta:
        model = TimelineEntry
        fields = ["position", "date", "is_future", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, parent=None, numbering=None, offered=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["citations"].offered = offered or OfferedSources()
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

    def save_citations(self):
        """Write what the entry cites, once it is saved (new articles with it)."""
        if "citations" in self.changed_data:
            field = self.fields["citations"]
            self.instance.citations.set(field.resolve(self.cleaned_data["citations"]))

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
    exclude = ["citations"]  # the form's own field (EntryInlineForm.citations)

    @admin.display(description="Cites")
    def cites(self, entry):
        """[n] Outlet: Title, in source order, as the timeline page numbers them."""
        if not entry.pk:
            return "—"
        articles = [
            link.article for link in entry.citation_links.select_related("article__outlet")
        ]
        if not articles:
            return format_html('<strong class="errornote">{}</strong>', "⚠ No citation")
        numbers = self.numbers(entry.timeline_id)
        cited = sorted(
            articles, key=lambda article: (numbers.get(article.pk, len(numbers)), article.pk)
        )
        return format_html_join(
            "; ",
            "{}{}: {}",
            (
                (f"[{numbers[a.pk]}] " if a.pk in numbers else "", a.outlet.name, a.title)
                for a in cited
            ),
        )

    def numbers(self, timeline_id):
        """The timeline's citation numbers by article, read once per screen (the admin makes
        its inlines anew for each request)."""
        if getattr(self, "_numbers", (None,))[0] != timeline_id:
            order = dict.fromkeys(numbering_order(timeline_id))  # each article once
            self._numbers = (timeline_id, {pk: n for n, pk in enumerate(order, start=1)})
        return self._numbers[1]


@admin.register(Timeline)
class TimelineAdmin(SortableAdminBase, EditorialAdmin):
    list_display = ["title", "slug", "story_list", "modified_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ("title",)}
    inlines = [EntryInline]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, EntryInline):
            # Opened from a story screen: its sources, saved or not, may be cited at once.
            offered = OfferedSources(request.GET)
            kwargs.setdefault("form_kwargs", {})["offered"] = offered
        return kwargs

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if formset.model is TimelineEntry:
                for entry_form in formset.forms:
                    saved = entry_form.instance.pk is not None
                    if saved and entry_form not in formset.deleted_forms:
                        entry_form.save_citations()

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

    # --- History's compare view (newsroom.revisions) -------------------------------------

    def history_document(self, timeline):
        """A timeline as its page reads: its title and description, then its entries in
        date order, each dated as written (Oct 2025) with the articles it cites."""
        entries = timeline.entries.order_by("date", "position").prefetch_related(
            "citation_links__article__outlet"
        )
        return [
            *labelled(timeline, Timeline, "title", "description"),
            (
                "Timeline entries",
                [
                    Item.of(
                        entry.date_label,
                        ("Date", entry.date_label),
                        *labelled(entry, TimelineEntry, "text"),
                        # An article as its outlet names it: "BBC: Talks resume".
                        (
                            "Cites",
                            sorted(str(link.article) for link in entry.citation_links.all()),
                        ),
                    )
                    for entry in entries
                ],
            ),
            *labelled(timeline, Timeline, "slug"),
        ]
