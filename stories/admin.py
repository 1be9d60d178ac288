"""The editorial admin: one story screen holds everything its page shows.

Workflow rules live in StoryAdminForm (what may be saved) and here (who may act on which
story); history comes from django-reversion, drag-and-drop order from django-admin-sortable2.
"""

import reversion
from adminsortable2.admin import SortableAdminBase, SortableInlineAdminMixin
from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from newsroom import derived
from newsroom.editing import (
    EditorialAdmin,
    OrderedItemForm,
    OrderedItemFormSet,
    is_editor,
    may_change,
)
from newsroom.history import latest_revision, register
from newsroom.revisions import Item, labelled
from timelines.models import EntryCitation

from . import workflow
from .documents import document_of, stories_for_dump
from .forms import (
    HeroImageForm,
    KeyPointInlineForm,
    SourceInlineForm,
    StoryAdminForm,
    SubmittedSources,
)
from .models import (
    Article,
    ExternalResource,
    Feed,
    HeroImage,
    KeyPoint,
    KeyPointCitation,
    Outlet,
    SharedPreview,
    Source,
    Story,
    StoryNote,
    Video,
    story_states,
)

# What a story's revision holds: the story and every item on its page. Registered before
# the admins below, which would register them their own way.
register(KeyPointCitation)
register(KeyPoint, follow=["citation_links"])
for model in (HeroImage, Source, Video, ExternalResource, StoryNote):
    register(model)
# Version counters stay out of revisions: a revert must move them on, never back.
register(
    Story,
    exclude=["version"],
    follow=["hero_image", "sources", "key_points", "videos", "resources", "notes"],
)
for model in (Article, Outlet, Feed):
    register(model, exclude=["version"])


class SourceFormSet(OrderedItemFormSet):
    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            source = form.instance
            if source.pk:
                citing = cited_by(source)
                if citing:
                    raise ValidationError(
                        f"Source “{source.article}” cannot be removed: it is cited by "
                        f"{'; '.join(citing)}. Remove those citations first."
                    )


def cited_by(source):
    """What on the story page cites a source: key points and timeline entries, by name."""
    names = [
        f"key point “{link.key_point.heading}”"
        for link in source.citation_links.select_related("key_point")
    ]
    story = source.story
    if story.timeline_id:
        names += [
            f"timeline entry “{link.entry.date_label}”"
            for link in EntryCitation.objects.filter(
                entry__timeline_id=story.timeline_id, article_id=source.article_id
            ).select_related("entry")
        ]
    return names


class HeroImageInline(admin.StackedInline):
    model = HeroImage
    form = HeroImageForm

    class Media:
        css = {"all": ["newsroom-admin.css"]}  # a stylesheet: the CSP allows no inline style

    can_delete = True
    max_num = 1
    extra = 1
    fields = [
        "preview",
        "image",
        "kept_image",
        "image_url",
        "alt_text",
        "caption",
        "credit",
        ("source_name", "source_url"),
        "full_size_url",
    ]
    readonly_fields = ["preview"]

    @admin.display(description="Preview")
    def preview(self, image):
        if not image or not image.src:
            return "No image yet."
        return format_html(
            '<img class="hero-preview" src="{}" alt="{}">', image.src, image.alt_text
        )


class SourceInline(SortableInlineAdminMixin, admin.TabularInline):
    model = Source
    form = SourceInlineForm
    formset = SourceFormSet
    extra = 0
    verbose_name = "source"
    verbose_name_plural = "sources — their order is the citation numbering [1], [2], …"
    fields = ["number", "url", "title", "outlet", "new_outlet", "author", "published"]
    readonly_fields = ["number"]

    class Media:
        js = ["newsroom-admin.js"]  # a pasted URL chooses its outlet

    @admin.display(description="#")
    def number(self, source):
        if not source.pk:
            return "new"
        return f"[{source.story.sources.filter(position__lt=source.position).count() + 1}]"


class KeyPointInline(SortableInlineAdminMixin, admin.StackedInline):
    model = KeyPoint
    form = KeyPointInlineForm
    formset = OrderedItemFormSet
    extra = 0
    readonly_fields = ["cites"]
    # The form's own citations field, not the model's: it may name sources saved only with
    # the key points (StoryAdmin.save_related writes them).
    exclude = ["citations"]

    class Media:
        js = ["newsroom-admin.js"]  # offers sources added in the same form to cite

    @admin.display(description="Cites")
    def cites(self, key_point):
        return citation_numbers(key_point)


def citation_numbers(key_point):
    if not key_point.pk:
        return "—"
    positions = list(key_point.story.sources.values_list("pk", flat=True))
    numbers = sorted(
        positions.index(pk) + 1
        for pk in key_point.citation_links.values_list("source_id", flat=True)
    )
    if not numbers:
        return format_html('<strong class="errornote">{}</strong>', "⚠ No citation")
    return "".join(f"[{n}]" for n in numbers)


class VideoInline(SortableInlineAdminMixin, admin.TabularInline):
    model = Video
    form = OrderedItemForm
    formset = OrderedItemFormSet
    extra = 0


class ExternalResourceInline(SortableInlineAdminMixin, admin.TabularInline):
    model = ExternalResource
    form = OrderedItemForm
    formset = OrderedItemFormSet
    extra = 0


class StoryNoteInline(admin.TabularInline):
    """Notes readers have seen are the story's public record: append-only, for everyone.
    New ones come from "This change is" (an update or correction); a mistaken note is
    answered by a follow-up correction, never edited away."""

    model = StoryNote
    extra = 0
    verbose_name_plural = "update notes readers see (add new ones with “This change is” above)"
    fields = ["kind", "text", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PreviewReady(Exception):
    """Carries a preview out of the admin's transaction, which then rolls back."""

    def __init__(self, response):
        self.response = response


class StateFilter(admin.SimpleListFilter):
    """The story list by state as the desk counts them: a story published for later is
    Scheduled, not Published (the status alone cannot tell them apart)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in story_states().items()]

    def queryset(self, request, queryset):
        if self.value() in story_states():
            return queryset.in_state(self.value())
        return queryset


# The admin home page opens on the desk: stories by state and the review queue.
admin.site.index_template = "admin/desk_index.html"


@admin.register(Story)
class StoryAdmin(SortableAdminBase, EditorialAdmin):
    form = StoryAdminForm
    change_form_template = "admin/stories/story/change_form.html"
    list_display = [
        "headline",
        "status_label",
        "feed_names",
        "updated_at",
        "source_count",
        "key_point_count",
        "uncited",
    ]
    list_filter = [StateFilter, "feeds"]
    search_fields = ["headline", "slug"]
    date_hierarchy = "updated_at"
    prepopulated_fields = {"slug": ("headline",)}
    autocomplete_fields = ["timeline"]
    inlines = [
        HeroImageInline,
        SourceInline,
        KeyPointInline,
        VideoInline,
        ExternalResourceInline,
        StoryNoteInline,
    ]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "summary", "status", "feeds", "timeline"]}),
        (
            "What readers are told about this change",
            {"fields": ["change_kind", "change_note", "loaded_version"]},
        ),
        (
            "Publication times",
            {
                "classes": ["collapse"],
                "fields": ["published_at", "updated_at"],
                "description": "First published is set when the story is published; give a "
                "future time to schedule it. “Updated” moves when a change is marked as an "
                "update.",
            },
        ),
    ]
    actions = ["publish_selected", "archive_selected"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.fieldsets
        if obj is None:  # a new story has nothing to update or correct yet
            fieldsets = [fs for fs in fieldsets if "change_kind" not in fs[1]["fields"]]
        if obj is not None and obj.status == Story.Status.IN_REVIEW and is_editor(request.user):
            fieldsets = [
                *fieldsets,
                (
                    "Review",
                    {
                        "fields": ["review_comment"],
                        "description": "To send the story back, say what to change.",
                    },
                ),
            ]
        return fieldsets

    # --- The status panel and the buttons (stories.workflow) ----------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        offered = workflow.offered(obj, is_editor(request.user))
        context["workflow_help"] = offered
        context["workflow_buttons"] = [(action, label) for action, label, _ in offered]
        context["status_panel"] = self.status_panel(obj)
        # The buttons above say what a save does; "Save and add another" does not.
        context["show_save_and_add_another"] = False
        return super().render_change_form(request, context, add, change, form_url, obj)

    def status_panel(self, story):
        """Where the story stands: its state and times, its last save, the open review."""
        if story is None:
            return None
        revision = latest_revision(story)
        state = workflow.state_of(story)
        return {
            "state": story.status_label,
            "published": story.published_at if state != "scheduled" else None,
            "scheduled": story.published_at if state == "scheduled" else None,
            "updated": story.updated_at,
            "saved_by": revision.user.get_username() if revision and revision.user else None,
            "saved_at": revision.date_created if revision else story.modified_at,
            "review": story.review_comments.filter(answered=False)
            .select_related("author")
            .first(),
            "time_zone": settings.TIME_ZONE,
        }

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("feeds")
            .annotate(
                sources_total=Count("sources", distinct=True),
                key_points_total=Count("key_points", distinct=True),
                uncited_total=Count(
                    "key_points",
                    filter=Q(key_points__citation_links__isnull=True),
                    distinct=True,
                ),
            )
        )

    # --- List columns -------------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_label(self, story):
        return story.status_label

    @admin.display(description="Feeds")
    def feed_names(self, story):
        return ", ".join(feed.name for feed in story.feeds.all())

    @admin.display(description="Sources", ordering="sources_total")
    def source_count(self, story):
        return story.sources_total

    @admin.display(description="Key points", ordering="key_points_total")
    def key_point_count(self, story):
        return story.key_points_total

    @admin.display(description="Uncited points")
    def uncited(self, story):
        if story.uncited_total:
            return format_html("<strong>⚠ {}</strong>", story.uncited_total)
        return ""

    # --- Who may do what (EditorialAdmin enforces it on every path) ----------------------

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        if action_location != ActionLocation.CHANGE_LIST:
            return {}  # the story screen has its own buttons; bulk actions are for the list
        actions = super().get_actions(request, action_location)
        if not is_editor(request.user):
            actions.pop("publish_selected", None)
            actions.pop("archive_selected", None)
        if self.has_change_permission(request):
            for feed in Feed.objects.all():
                name = f"add_to_feed_{feed.pk}"
                actions[name] = (add_to_feed(feed), name, f"Add selected stories to “{feed.name}”")
        return actions

    # --- Saving --------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        note = form.reader_note(obj)
        super().save_model(request, obj, form, change)
        if note is not None:
            note.save()
        if form.action == "review":  # submitted again: the comments sent back are answered
            obj.review_comments.filter(answered=False).update(answered=True)
        comment = form.comment_for_reporter(obj, request.user)
        if comment is not None:
            comment.save()
        request.workflow_comment = form.history_comment()

    # History says what the button did before what changed ("Published. Changed headline").
    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._say_in_history(request)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._say_in_history(request)
        return entry

    def _say_in_history(self, request):
        said = getattr(request, "workflow_comment", "")
        if said and reversion.is_active():
            changes = reversion.get_comment()
            reversion.set_comment(f"{said}. {changes}" if changes else said)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, KeyPointInline):
            # Key points may cite the sources added in the same form, before they are saved.
            submitted = SubmittedSources(request.POST if request.method == "POST" else None)
            kwargs.setdefault("form_kwargs", {})["submitted"] = submitted
        return kwargs

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The sources are saved now, new ones too: what each key point cites can be written.
        by_model = {formset.model: formset for formset in formsets}
        sources, points = by_model.get(Source), by_model.get(KeyPoint)
        saved_sources = {
            str(index): source_form.instance
            for index, source_form in enumerate(sources.forms if sources else [])
            if source_form.instance.pk is not None
        }
        for point_form in points.forms if points else []:
            if point_form.instance.pk is not None and point_form not in points.deleted_forms:
                point_form.save_citations(saved_sources)
        story = form.instance
        uncited = story.key_points.filter(citation_links__isnull=True)
        if uncited.exists():
            self.message_user(
                request,
                "These key points cite no source yet: "
                + "; ".join(f"“{kp.heading}”" for kp in uncited),
                messages.WARNING,
            )

    # --- History -------------------------------------------------------------------------

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # Notes readers have seen outlive a revert to before them (see StoryNoteInline):
        # reversion restores the revision first, then loads the story (get_object below),
        # and there they are put back. Reversion has no hook between the two.
        story = super().get_object(request, unquote(object_id))
        request.notes_to_keep = list(story.notes.all()) if story is not None else []
        return super().revision_view(request, object_id, version_id, extra_context)

    def get_object(self, request, object_id, from_field=None):
        story = super().get_object(request, object_id, from_field)
        kept = getattr(request, "notes_to_keep", None)
        if story is not None and kept:
            present = set(story.notes.values_list("pk", flat=True))
            StoryNote.objects.bulk_create(note for note in kept if note.pk not in present)
        return story

    # --- Preview -------------------------------------------------------------------------

    # The preview is caught outside reversion's revision block too, so no revision is kept.
    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except PreviewReady as preview:
            return self.shared(request, None, preview.response)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except PreviewReady as preview:
            return self.shared(request, unquote(object_id), preview.response)

    def shared(self, request, story_id, response):
        """Keep the preview, once its transaction is rolled back, at the address another
        editor may open (SharedPreview), given in a header the live preview shows."""
        token = SharedPreview.objects.keep(request.user, story_id, response.content.decode())
        address = reverse("admin:stories_story_shared_preview", args=[token])
        response["X-Newsroom-Preview-Address"] = request.build_absolute_uri(address)
        return response

    def get_urls(self):
        shared = self.admin_site.admin_view(self.shared_preview_view)
        return [
            path("preview/<str:token>/", shared, name="stories_story_shared_preview"),
            *super().get_urls(),
        ]

    def shared_preview_view(self, request, token):
        """An editor's latest preview, for staff who may see that story: never cached."""
        preview = get_object_or_404(SharedPreview.objects.select_related("story"), token=token)
        if not self.has_view_or_change_permission(request, preview.story):
            raise PermissionDenied
        response = HttpResponse(preview.html)
        response["Cache-Control"] = "private, no-store"
        return response

    def changelist_view(self, request, extra_context=None):
        # VersionAdmin would put every story a bulk action touches into one revision; the
        # actions below open one revision per story instead.
        context = {"has_change_permission": self.has_change_permission(request)}
        return admin.ModelAdmin.changelist_view(
            self, request, {**context, **(extra_context or {})}
        )

    def response_add(self, request, obj, post_url_continue=None):
        self.raise_for_preview(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self.raise_for_preview(request, obj)
        return super().response_change(request, obj)

    def raise_for_preview(self, request, obj):
        """Render the page from the saved form, then let the transaction roll everything back."""
        if "_preview" not in request.POST:
            return
        derived.flush()  # rebuild the page from what the form just wrote
        story = Story.objects.for_page().get(pk=obj.pk)
        response = render(
            request, "stories/story_detail.html", {"story": story, "unsaved_preview": True}
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Newsroom-Preview"] = "page"  # the live preview tells it from the form
        raise PreviewReady(response)

    # --- Bulk actions --------------------------------------------------------------------

    @admin.action(description="Publish selected stories", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._set_status(request, queryset, Story.Status.PUBLISHED)

    @admin.action(description="Archive selected stories", permissions=["change"])
    def archive_selected(self, request, queryset):
        self._set_status(request, queryset, Story.Status.ARCHIVED)

    def _set_status(self, request, queryset, status):
        if not is_editor(request.user):
            raise PermissionDenied("Only an editor can publish or archive stories.")
        now = timezone.now()
        count = 0
        for story in queryset:
            with reversion.create_revision():
                story.status = status
                if status == Story.Status.PUBLISHED and story.published_at is None:
                    story.published_at = now
                story.save()
                reversion.set_user(request.user)
                reversion.set_comment(f"Bulk action: {story.get_status_display().lower()}")
            self.log_change(request, story, f"Status set to {status} (bulk action).")
            count += 1
        self.message_user(
            request, f"{count} stories are now {Story.Status(status).label.lower()}."
        )

    # --- History's compare view (newsroom.revisions) -------------------------------------

    def history_document(self, story):
        """A story as editors wrote it, read as the dumper reads it (stories.documents), in
        the page's order, then where and when it is published. Its timeline by title only:
        the timeline has a History of its own."""
        doc = document_of(stories_for_dump().get(pk=story.pk))
        outlets = {outlet.slug: outlet.name for outlet in doc.outlets}
        image = ["image", "image_url", "alt_text", "caption", "credit", "source_name"]
        image += ["source_url", "full_size_url"]
        video = ["title", "url", "provider", "thumbnail", "thumbnail_url", "duration"]
        return [
            *labelled(doc, Story, "headline", "byline", "summary"),
            (
                "Hero image",
                [Item.of("", *labelled(doc.hero_image, HeroImage, *image))]
                if doc.hero_image
                else [],
            ),
            (
                "Key points",
                [
                    Item.of(
                        point.heading,
                        *labelled(point, KeyPoint, "heading", "body"),
                        ("Cites", " ".join(f"[{n}]" for n in point.cites)),
                    )
                    for point in doc.key_points
                ],
            ),
            (
                "Sources",
                [
                    Item.of(
                        f"[{n}] {outlets[source.outlet]}: {source.title}",
                        ("Outlet", outlets[source.outlet]),
                        *labelled(source, Article, "title", "url", "author", "published_at"),
                    )
                    for n, source in enumerate(doc.sources, start=1)
                ],
            ),
            ("Videos", [Item.of(v.title, *labelled(v, Video, *video)) for v in doc.videos]),
            (
                "External resources",
                [
                    Item.of(r.title, *labelled(r, ExternalResource, "title", "url", "description"))
                    for r in doc.resources
                ],
            ),
            (
                "Update notes",
                [
                    Item.of(
                        StoryNote.Kind(note.kind).label,
                        *labelled(note, StoryNote, "kind", "text", "created_at"),
                    )
                    for note in doc.notes
                ],
            ),
            *labelled(doc, Story, "status", "published_at", "updated_at"),
            ("Feeds", [feed.name for feed in doc.feeds]),
            ("Timeline", doc.timeline.title if doc.timeline else ""),
            *labelled(doc, Story, "slug", "language"),
        ]


def add_to_feed(feed):
    def action(model_admin, request, queryset):
        count = 0
        for story in queryset:
            if not may_change(request.user, story):
                raise PermissionDenied("Only an editor can change published or archived stories.")
            with reversion.create_revision():
                story.feeds.add(feed)
                story.save(update_fields=["modified_at"])
                reversion.set_user(request.user)
                reversion.set_comment(f"Bulk action: added to {feed.name}")
            model_admin.log_change(request, story, f"Added to feed {feed.name} (bulk action).")
            count += 1
        model_admin.message_user(request, f"{count} stories added to “{feed.name}”.")

    return action


@admin.register(Feed)
class FeedAdmin(EditorialAdmin):
    list_display = ["name", "slug", "nav_position", "is_homepage", "story_count"]
    ordering = ["nav_position", "name"]  # the count's GROUP BY leaves out Meta.ordering
    list_editable = ["nav_position"]
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stories_total=Count("stories"))

    @admin.display(description="Stories", ordering="stories_total")
    def story_count(self, feed):
        return feed.stories_total


@admin.register(Outlet)
class OutletAdmin(EditorialAdmin):
    list_display = ["name", "website", "article_count"]
    ordering = ["name"]  # the count's GROUP BY leaves out Meta.ordering
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(articles_total=Count("articles"))

    @admin.display(description="Articles", ordering="articles_total")
    def article_count(self, outlet):
        return outlet.articles_total


@admin.register(Article)
class ArticleAdmin(EditorialAdmin):
    list_display = ["title", "outlet", "published_at", "cited_by"]
    list_filter = ["outlet"]
    search_fields = ["title", "url", "author"]
    autocomplete_fields = ["outlet"]
    date_hierarchy = "published_at"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("outlet")
            .prefetch_related("sources__story")
        )

    @admin.display(description="Stories citing it")
    def cited_by(self, article):
        stories = {source.story for source in article.sources.all()}
        return format_html_join(", ", "{}", ((story.headline,) for story in stories)) or "—"


# --- Login records (django-axes) ---------------------------------------------------------------


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    # axes' "Clean up expired attempts" reads a time that only its login flow puts on the
    # request, so from the admin it failed with a server error. (Found by the permission
    # matrix, tests/test_permission_matrix.py.)
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request, queryset):
        request.axes_attempt_time = timezone.now()
        return super().cleanup_expired_attempts(request, queryset)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
