"""The rules every admin screen that edits what readers see applies, in one place.

- Roles. Editors (stories.publish_story) may change anything. Reporters may change only
  what no published (or scheduled) or archived story shows: each model says which stories
  show it (its shown_by()), and every path reads that one rule: the change form, delete,
  bulk delete, history revert and recover.
- Stale forms. Every form carries the version of the row it was opened at; a save from an
  older one is refused, with both versions kept (StaleFormCheck).
- History. A revert or a recover restores a whole revision, so it is checked like a save,
  row by row, against each row as it is now and as it would become (EditorialAdmin). Its
  compare view shows two revisions as editors wrote them, what changed marked
  (newsroom.revisions), to whoever may see the row.

Both apps' admin screens build on these pieces; neither imports the other's admin or forms.
"""

from dataclasses import dataclass

from adminsortable2.admin import CustomInlineFormSet
from django import forms
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import F
from django.forms.utils import pretty_name
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version
from reversion_compare.admin import CompareVersionAdmin

from . import derived, revisions
from .history import latest_revision

EDITOR_PERMISSION = "stories.publish_story"


def is_editor(user):
    """Editors publish, schedule, archive and change whatever readers see."""
    return user is not None and user.has_perm(EDITOR_PERMISSION)


def may_change(user, obj):
    """Whether `user` may change or delete `obj` (a row as it is, or as a revert makes it)."""
    if is_editor(user):
        return True
    is_editor_only = getattr(obj, "is_editor_only", None)
    # A model that does not say which stories show it is for editors only.
    return is_editor_only is not None and not is_editor_only()


class StaleFormCheck(forms.ModelForm):
    """Refuses a save from a form opened before someone else saved the same row.

    The model is stories.models.Versioned. The check locks the row until the save commits,
    so two saves cannot both pass it; a form without the version it was opened at is taken
    as stale, not trusted. The refused form comes back with the editor's values in it, and
    the other save is in History: nothing is lost.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    conflict = None  # a Conflict, when the form was refused as stale

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        self.check_not_stale()
        return cleaned

    def check_not_stale(self):
        if not self.instance.pk:
            return
        model = type(self.instance)
        current = (
            model._default_manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is None or self.cleaned_data.get("loaded_version") == current:
            return
        # "Re-apply mine", offered with the conflict below: a save over the version the
        # editor has now seen, refused again if yet another save came since.
        if self.data.get(REAPPLY) == str(current):
            return
        self.conflict = Conflict.of(self, current)
        saved = (
            f" ({self.conflict.saved_by}, {_shown(self.conflict.saved_at)} "
            f"{timezone.get_current_timezone_name()})"
            if self.conflict.saved_by and self.conflict.saved_at
            else ""
        )
        raise ValidationError(
            f"Someone else saved this {model._meta.verbose_name} after you opened it{saved}, "
            "so your changes were not saved. Nothing was lost: theirs are kept, and yours "
            "are still in this form; below, yours beside theirs. “Re-apply my changes” "
            "saves yours over theirs.",
            code="stale",
        )


# The button that saves a refused form's values over the version shown beside them.
REAPPLY = "_reapply"


@dataclass
class Conflict:
    """What a refused editor is shown: who saved since they opened the form, when, and
    each field where their value and the saved one differ."""

    version: int  # the row's version now: re-applying saves over this one only
    saved_by: str | None
    saved_at: object
    differences: list  # (label, mine, theirs), in the form's order

    @classmethod
    def of(cls, form, version):
        model = type(form.instance)
        row = model._default_manager.get(pk=form.instance.pk)
        revision = latest_revision(row)
        differences = []
        for name, field in form.fields.items():
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # the form's own (a note for readers, the loaded version)
            if not model_field.editable or name not in form.cleaned_data:
                continue
            mine = form.cleaned_data[name]
            theirs = getattr(row, name)
            if model_field.many_to_many:
                mine, theirs = list(mine or []), list(theirs.all())
                if {item.pk for item in mine} == {item.pk for item in theirs}:
                    continue
            elif mine == theirs or (mine in (None, "") and theirs in (None, "")):
                continue
            label = field.label or pretty_name(name)
            differences.append((str(label), _shown(mine), _shown(theirs)))
        return cls(
            version=version,
            saved_by=revision.user.get_username() if revision and revision.user else None,
            saved_at=revision.date_created if revision else None,
            differences=differences,
        )


def _shown(value):
    """A field's value as the comparison shows it: as History does, "—" for none."""
    return revisions.shown(value) or "—"


class Undone(Exception):
    """Carries a response out of a transaction it rolls back."""

    def __init__(self, response):
        self.response = response


class EditorialAdmin(CompareVersionAdmin):
    """A model admin for what readers see: the newsroom's rules on every one of its paths."""

    form = StaleFormCheck
    change_form_template = "admin/editorial_change_form.html"  # shows a stale form's Conflict
    object_history_template = "admin/history_list.html"  # who, when, what; two to compare

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class FormWithUser(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, user=request.user, **kwargs)

        return FormWithUser

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if getattr(inline.form, "takes_user", False):
            kwargs["form_kwargs"] = {"user": request.user}
        return kwargs

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def delete_queryset(self, request, queryset):
        # The bulk delete asks has_delete_permission() of each row already; this holds for
        # any other caller too.
        if not all(may_change(request.user, obj) for obj in queryset):
            raise PermissionDenied("Only an editor can delete what a published story shows.")
        super().delete_queryset(request, queryset)

    # --- History: a revert or recover is a save -------------------------------------------

    def compare_view(self, request, object_id, extra_context=None):
        """Two revisions as editors wrote them, what changed marked (newsroom.revisions),
        in place of reversion-compare's diff of every stored field."""
        # reversion-compare checks no permission: a diff is as private as the row.
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with this key.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        older, newer = self.compared_versions(request, obj)
        comparison, unrestorable = None, None
        try:
            comparison = revisions.between(
                obj, older.revision, newer.revision, self.history_document
            )
        except revisions.Unrestorable as failure:
            unrestorable = failure.revision
        route = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": obj,
            "title": f"What changed in “{obj}”",
            "older": older,
            "newer": newer,
            "comparison": comparison,
            "unrestorable": unrestorable,
            "history_url": reverse(f"{route}_history", args=[quote(obj.pk)]),
            "revert_url": reverse(f"{route}_revision", args=[quote(obj.pk), older.pk]),
            "can_revert": self.has_change_permission(request, obj),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/history_compare.html", context)

    def compared_versions(self, request, obj):
        """The two versions of `obj` chosen on the History list, the older first."""
        try:
            chosen = sorted(int(request.GET[name]) for name in ("version_id1", "version_id2"))
        except (KeyError, ValueError):
            raise Http404("Choose two revisions to compare.") from None
        versions = Version.objects.get_for_object(obj).select_related("revision__user")
        return [get_object_or_404(versions, pk=pk) for pk in chosen]

    def history_document(self, obj):
        """What History compares of a row: (label, value) pairs in reading order, a value
        being text or a list of newsroom.revisions.Item. Here, the fields an editor
        writes; an admin whose rows have items says its own (StoryAdmin, TimelineAdmin)."""
        return revisions.fields_of(obj)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        version = get_object_or_404(Version, pk=version_id, object_id=unquote(object_id))
        self.check_restore(request, version.revision)
        # Items reordered since the revision are moved aside for reversion to write them
        # back (revisions.make_room); kept only by a revert that is saved. Undone by an
        # exception, so that the pages the move made stale are forgotten with it
        # (derived.batch), not rebuilt from rows rolled back.
        try:
            with transaction.atomic(using=router.db_for_write(self.model)), derived.batch():
                revisions.make_room(version.revision)
                response = super().revision_view(request, object_id, version_id, extra_context)
                if not (request.method == "POST" and response.status_code == 302):
                    raise Undone(response)
        except Undone as undone:
            response = undone.response
        return response

    def recover_view(self, request, version_id, extra_context=None):
        version = get_object_or_404(Version, pk=version_id)
        self.check_restore(request, version.revision)
        return super().recover_view(request, version_id, extra_context)

    def check_restore(self, request, revision):
        """Refuse to restore a revision that writes a row `request.user` may not change,
        as the row is now or as the revision would make it. (Rows the revert deletes are
        the restored rows' own items: judged with them.)"""
        if not self.has_change_permission(request):
            raise PermissionDenied
        for version in revision.version_set.all():
            model = version._model
            current = model._default_manager.filter(pk=version.object_id).first()
            restored = version._object_version.object
            for row in (current, restored):
                if row is not None and not may_change(request.user, row):
                    raise PermissionDenied(
                        f"Only an editor can restore this {model._meta.verbose_name}: "
                        "a published or archived story shows it."
                    )


# --- Ordered inline items (a story's sources and key points, a timeline's entries) ------------

# Positions move through this range while a reorder is saved, so that swapping two items
# never trips the one-position-per-item constraint halfway.
REORDER_OFFSET = 1_000_000


class OrderedItemFormSet(CustomInlineFormSet):
    """Saves drag-and-drop reorders safely and hands each form its parent (story, timeline)."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if getattr(self.form, "takes_parent", False):
            kwargs["parent"] = self.instance
        return kwargs

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            name_inputs(form.fields["DELETE"].widget, "Delete")
        if form.instance._state.adding:
            # No position yet: sortable2 puts a new item last when it is saved. The model's
            # default (0) would make two new items collide on one position.
            form.initial[self.default_order_field] = None

    def save(self, commit=True):
        if not self.instance.pk:
            return super().save(commit)
        items = self.model.objects.filter(**{self.fk.name: self.instance})
        items.update(position=F("position") + REORDER_OFFSET)
        saved = super().save(commit)
        items.filter(position__gte=REORDER_OFFSET).update(position=F("position") - REORDER_OFFSET)
        return saved


class LabelledInlineForm(forms.ModelForm):
    """An inline item whose every input is named for assistive technology: a tabular
    inline's inputs sit under a column heading no <label> points to, and a file input or a
    date and time pair is not named by its row's label either."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            # As BoundField labels it; not self[name], whose cache would keep this field
            # after the formset swaps it (its foreign key becomes a hidden input).
            name_inputs(field.widget, str(field.label or pretty_name(name)))


def name_inputs(widget, label):
    """Name a widget's inputs with `label` (aria-label), the parts of a date and time
    apart ("Published date", "Published time")."""
    if widget.is_hidden or isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return  # hidden, or a group of options each with its own <label>
    if isinstance(widget, forms.SplitDateTimeWidget):
        for part, subwidget in zip(("date", "time"), widget.widgets, strict=True):
            subwidget.attrs.setdefault("aria-label", f"{label} {part}")
        return
    widget.attrs.setdefault("aria-label", label)


class OrderedItemForm(LabelledInlineForm):
    """An ordered inline item. Its position is checked across the submitted forms only: each
    row checked against the database on its own would refuse every swap of two items."""

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), "position"}


class CitationsField(forms.ModelMultipleChoiceField):
    """Sources (or articles) to cite, as check boxes labelled with their number."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *args, numbers=None, **kwargs):
        self.numbers = numbers or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        number = self.numbers.get(obj.pk)
        article = getattr(obj, "article", obj)
        prefix = f"[{number}] " if number else ""
        return f"{prefix}{article.outlet.name}: {article.title}"
