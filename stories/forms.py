"""Forms: the reader's search, and the admin's (the story's workflow rules, sources added by
URL, citations by number)."""

import secrets
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

from newsroom.editing import (
    LabelledInlineForm,
    OrderedItemForm,
    StaleFormCheck,
    is_editor,
    may_change,
)

from . import workflow
from .models import (
    Article,
    KeyPoint,
    Outlet,
    ReviewComment,
    Source,
    Story,
    StoryNote,
    site_of,
)

# The name of the story screen's workflow buttons (stories.workflow).
ACTION = "_workflow"


class SearchForm(forms.Form):
    """A reader's query: trimmed, cut to a length worth searching for, and refused when it
    holds a NUL (CharField's validator), which PostgreSQL cannot take in a query."""

    MAX_LENGTH = 200

    q = forms.CharField(required=False)

    def clean_q(self):
        return self.cleaned_data["q"][: self.MAX_LENGTH]


class StoryAdminForm(StaleFormCheck):
    """The story screen: status rules, the stale-form check and the update note."""

    class ChangeKind(models.TextChoices):
        EDIT = "edit", "Minor edit: readers see no change of the Updated time"
        UPDATE = "update", "Update: move “Updated” to now and tell readers what changed"
        CORRECTION = "correction", "Correction: tell readers what was wrong"

    change_kind = forms.ChoiceField(
        label="This change is",
        choices=ChangeKind,
        initial=ChangeKind.EDIT,
        widget=forms.RadioSelect,
        required=False,
    )
    change_note = forms.CharField(
        label="Note for readers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown in the story's Updates list. Required for an update or a correction.",
    )
    review_comment = forms.CharField(
        label="Comment for the reporter",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to send the story back: what to change before it is published.",
    )

    class Meta:
        model = Story
        fields = [
            "headline",
            "slug",
            "byline",
            "language",
            "summary",
            "status",
            "feeds",
            "timeline",
            "published_at",
            "updated_at",
        ]
        # The whole of a 300-character headline in view; it is kept on one line (below).
        widgets = {
            "headline": forms.Textarea(attrs={"rows": 3, "cols": 110}),
            # Set by the buttons (stories.workflow), not chosen from a list; still checked
            # against the role when posted as it is.
            "status": forms.HiddenInput,
            # A newsroom has a handful of feeds: check boxes, not a two-list chooser.
            "feeds": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("published_at", "updated_at"):
            if name in self.fields:
                self.fields[name].help_text = newsroom_time_zone()
        status = self.fields.get("status")
        if status is not None and not self.can_publish:
            allowed = {Story.Status.DRAFT, Story.Status.IN_REVIEW}
            status.choices = [
                (value, label) for value, label in status.choices if value in allowed
            ]
            status.help_text = "Reporters send stories to review; an editor publishes them."

    @property
    def can_publish(self):
        return is_editor(self.user)

    def clean_headline(self):
        """One line, whatever the box let through (a pasted line break, doubled spaces)."""
        return " ".join(self.cleaned_data["headline"].split())

    def clean(self):
        cleaned = super().clean()  # refuses a stale form first
        self._apply_action(cleaned)
        self._check_workflow(cleaned)
        kind = cleaned.get("change_kind") or self.ChangeKind.EDIT
        if kind != self.ChangeKind.EDIT and not cleaned.get("change_note", "").strip():
            self.add_error("change_note", "Tell readers what changed in a short note.")
        if kind != self.ChangeKind.EDIT and not self.instance.pk and "change_kind" in self.fields:
            self.add_error("change_kind", "A new story has nothing to update or correct yet.")
        self._set_times(cleaned, kind)
        return cleaned

    @property
    def action(self):
        """The button pressed (stories.workflow.ACTIONS), or None for a plain save."""
        return self.data.get(ACTION)

    def _apply_action(self, cleaned):
        """What the pressed button does to the status, times and notes; refused for a
        button of another role or one no screen has."""
        action = self.action
        if action is None:
            return
        if action not in workflow.ACTIONS:
            raise ValidationError(f"“{action}” is not something this screen does.")
        status, for_editors = workflow.ACTIONS[action]
        if for_editors and not self.can_publish:
            raise ValidationError(
                f"Only an editor can {workflow.LABELS[action][0].rstrip('…').lower()}.",
                code="permission",
            )
        cleaned["status"] = status or self.instance.status or Story.Status.DRAFT
        now = timezone.now()
        if action == "publish":
            published_at = self.instance.published_at if self.instance.pk else None
            if published_at is None or published_at > now:
                cleaned["published_at"] = now
        if action == "schedule":
            when = cleaned.get("published_at")
            if when is None or when <= now:
                self.add_error(
                    "published_at",
                    "Give the time to publish at, in the future, then press Schedule.",
                )
        if action in ("update", "correction"):
            cleaned["change_kind"] = action
        if action == "send_back" and not cleaned.get("review_comment", "").strip():
            self.add_error("review_comment", "Tell the reporter what to change.")

    def history_comment(self):
        """What History says this save did, with the note it gave readers ("Published.
        Correction: “…”"), or "" for a plain save."""
        said = workflow.history_comment(
            self.action, self.cleaned_data.get("review_comment", "").strip()
        )
        note = self.reader_note(self.instance)
        if note is None:
            return said
        told = f"{note.get_kind_display()}: “{note.text}”"
        # "Publish update" and "Publish correction" do no more than give the note.
        if not said or self.action in ("update", "correction"):
            return told
        return f"{said}. {told}"

    def comment_for_reporter(self, story, author):
        """The comment sent back to the reporter with this save, if any."""
        if self.action == "send_back":
            text = self.cleaned_data["review_comment"].strip()
            return ReviewComment(story=story, author=author, text=text)
        return None

    def _set_times(self, cleaned, kind):
        """The times publishing implies, set before the model's own validation runs."""
        now = timezone.now()
        if self.instance.pk and self.instance.is_public and "published_at" in self.changed_data:
            self.add_error("published_at", "The first-published time is set once and stays.")
            cleaned["published_at"] = self.instance.published_at
        if cleaned.get("status") == Story.Status.PUBLISHED and not cleaned.get("published_at"):
            cleaned["published_at"] = now
        published_at = cleaned.get("published_at")
        if kind == self.ChangeKind.UPDATE:
            cleaned["updated_at"] = max(now, published_at) if published_at else now
        elif published_at and not cleaned.get("updated_at"):
            cleaned["updated_at"] = published_at

    def _check_workflow(self, cleaned):
        if self.can_publish:
            return
        was = self.initial.get("status") if self.instance.pk else None
        if was in (Story.Status.PUBLISHED, Story.Status.ARCHIVED):
            raise ValidationError(
                "Only an editor can change a published or archived story.", code="permission"
            )
        if cleaned.get("status") not in (Story.Status.DRAFT, Story.Status.IN_REVIEW):
            self.add_error("status", "Only an editor can publish or archive a story.")
        for name in ("published_at", "updated_at"):
            if name in self.changed_data:
                self.add_error(name, "Only an editor can set publication times.")

    def reader_note(self, story):
        """The update or correction note this save adds for readers, if any."""
        kind = self.cleaned_data.get("change_kind")
        if kind in (self.ChangeKind.UPDATE, self.ChangeKind.CORRECTION):
            return StoryNote(story=story, kind=kind, text=self.cleaned_data["change_note"].strip())
        return None


class HeroImageForm(LabelledInlineForm):
    """The hero image. A file uploaded with a story form that comes back with errors (on
    any part of the page) is kept in storage and named by a signed token in the form, so
    the editor need not choose it again: browsers never refill a file input."""

    kept_image = forms.CharField(widget=forms.HiddenInput, required=False)

    KEPT_FOLDER = "uploads/kept/"
    SALT = "stories.forms.HeroImageForm.kept_image"
    KEPT_FOR = 60 * 60 * 24  # seconds a kept upload may wait for its form

    def clean(self):
        cleaned = super().clean()
        uploaded = self.files.get(self.add_prefix("image"))
        if uploaded and not self.has_error("image"):
            # In a folder nobody can guess: media is served to anyone with the address.
            folder = f"{self.KEPT_FOLDER}{secrets.token_urlsafe(18)}/"
            name = default_storage.save(folder + Path(uploaded.name).name, uploaded)
            uploaded.seek(0)
            self._keep(name)
        elif not uploaded and (name := self._kept(cleaned.get("kept_image"))):
            cleaned["image"] = File(default_storage.open(name), name=Path(name).name)
            self._keep(name)
        return cleaned

    def _kept(self, token):
        """The storage name a token from this form names, if it is genuine and there."""
        if not token:
            return None
        try:
            name = signing.loads(token, salt=self.SALT, max_age=self.KEPT_FOR)
        except signing.BadSignature:
            return None
        if not name.startswith(self.KEPT_FOLDER) or not default_storage.exists(name):
            return None
        return name

    def _keep(self, name):
        self.kept_name = name
        self.data = self.data.copy()  # a request's data is read-only
        self.data[self.add_prefix("kept_image")] = signing.dumps(name, salt=self.SALT)
        self.fields[
            "image"
        ].help_text = (
            f"{Path(name).name} is uploaded and kept: save to use it, or choose another file."
        )

    def save(self, commit=True):
        image = super().save(commit)
        kept = getattr(self, "kept_name", None)
        if commit and kept:
            default_storage.delete(kept)  # copied to the image's own place by now
        return image


class OutletSelect(forms.Select):
    """Outlets with their sites (data-site), so that pasting an article's URL can choose
    its outlet in the browser (newsroom-admin.js), as the server does on save."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        outlet = getattr(value, "instance", None)
        if outlet is not None and outlet.website:
            option["attrs"]["data-site"] = site_of(outlet.website)
        return option


class SourceInlineForm(OrderedItemForm):
    """A source added by pasting its URL: a known article is reused, a new one is created.

    The article's fields can be corrected here too, under the article's own rule: once a
    published or archived story shows it, only an editor may change it.
    """

    takes_user = True  # EditorialAdmin passes the user, whose role decides the rule above

    url = forms.URLField(label="Article URL", assume_scheme="https", max_length=500)
    title = forms.CharField(max_length=500, required=False, help_text="Needed for a new article.")
    outlet = forms.ModelChoiceField(
        Outlet.objects.all(),
        required=False,
        widget=OutletSelect,
        help_text="Chosen for you when the URL is on an outlet's website.",
    )
    new_outlet = forms.CharField(
        label="or new outlet", max_length=200, required=False, help_text="Creates the outlet."
    )
    author = forms.CharField(max_length=200, required=False)
    published = forms.SplitDateTimeField(
        label="Published", required=False, widget=AdminSplitDateTime
    )

    class Meta:
        model = Source
        fields = ["position"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["published"].help_text = newsroom_time_zone()
        article = self.instance.article if self.instance.article_id else None
        if article is not None:
            self.initial.update(
                url=article.url,
                title=article.title,
                outlet=article.outlet_id,
                author=article.author,
                published=article.published_at,
            )

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise ValidationError("Enter an http or https address.")
        return url

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("url")
        if not url:
            return cleaned
        self.article = Article.objects.filter(url=url).select_related("outlet").first()
        new_outlet = cleaned.get("new_outlet", "").strip()
        # A known outlet named in any case is that outlet ("bbc" is "BBC").
        self.outlet = (
            (Outlet.objects.named(new_outlet).first() or Outlet(name=new_outlet))
            if new_outlet
            else cleaned.get("outlet")
        )
        if self.article is None and self.outlet is None:
            self.outlet = Outlet.objects.for_address(url)
        if self.article is None:
            if not cleaned.get("title"):
                self.add_error("title", "A new article needs its title.")
            if self.outlet is None:
                self.add_error("outlet", "Choose the article's outlet or name a new one.")
        elif self.article_changes() and not may_change(self.user, self.article):
            self.add_error(
                None,
                f"“{self.article.title}” is shown by a published story: only an editor can "
                "change its title, outlet, author or time. Leave them as they are to cite it.",
            )
        return cleaned

    def article_changes(self):
        """The article's fields this form changes, {name: new value}: those given (a blank
        one keeps the article's) that differ from the article's, times to the second the
        form shows."""
        article = self.article or Article(url=self.cleaned_data["url"])
        given = {
            "title": self.cleaned_data.get("title"),
            "author": self.cleaned_data.get("author"),
            "published_at": self.cleaned_data.get("published"),
        }
        current = {
            "title": article.title,
            "author": article.author,
            "published_at": article.published_at and article.published_at.replace(microsecond=0),
        }
        changes = {
            name: value for name, value in given.items() if value and value != current[name]
        }
        if self.outlet is not None and (
            self.outlet.pk is None or self.outlet.pk != article.outlet_id
        ):
            changes["outlet"] = self.outlet
        return changes

    def save(self, commit=True):
        source = super().save(commit=False)
        if self.outlet is not None and self.outlet.pk is None:
            # Another source of the same form may have named the same new outlet, and
            # created it a moment ago.
            self.outlet = Outlet.objects.get_or_create_named(self.outlet.name)
        changes = self.article_changes()
        article = self.article or Article(url=self.cleaned_data["url"])
        if changes:
            for name, value in changes.items():
                setattr(article, name, value)
            article.full_clean()
            article.save()
        source.article = article
        if commit:
            source.save()
        return source


def newsroom_time_zone():
    """What a time typed in the admin means: the newsroom's time zone, by name."""
    return f"In the newsroom's time zone, {settings.TIME_ZONE}."


class SubmittedSources:
    """The sources a story form was sent with, as its sources table stood in the browser:
    the new ones (by their form's index in the table) and the saved ones it removes. A key
    point may cite a new source before it has ever been saved."""

    PREFIX = "sources"
    MAX_FORMS = 1000  # the formset's own limit: beyond it the formset refuses the form

    def __init__(self, data=None):
        self.new = {}  # form index: what the editor typed to name it (title, else URL)
        self.removed = set()  # ids of saved sources deleted by this save
        if not data:
            return
        try:
            total = min(int(data.get(f"{self.PREFIX}-TOTAL_FORMS", 0)), self.MAX_FORMS)
        except ValueError:
            return  # the formset itself refuses a broken management form
        for index in range(total):
            field = f"{self.PREFIX}-{index}-{{}}".format
            removed, saved = data.get(field("DELETE")), data.get(field("id"))
            if saved:
                if removed:
                    self.removed.add(saved)
                continue
            named = data.get(field("title"), "").strip() or data.get(field("url"), "").strip()
            if named and not removed:
                self.new[str(index)] = named


class SourceCitationsField(forms.MultipleChoiceField):
    """The sources a key point cites, as check boxes labelled [n] in source order: the saved
    ones by id, those added in the same form as "new-<their form's index>"."""

    widget = forms.CheckboxSelectMultiple
    NEW = "new-"

    def resolve(self, values, new_sources):
        """The Source rows chosen: saved ones by id, new ones from `new_sources`, the
        sources just saved, by their form's index."""
        saved = {str(source.pk): source for source in self.sources}
        return [saved[v] if v in saved else new_sources[v.removeprefix(self.NEW)] for v in values]


class KeyPointInlineForm(OrderedItemForm):
    """A key point citing its story's sources, picked by number, those added in the same
    unsaved form too (save_citations(), once the sources are saved)."""

    takes_parent = True  # OrderedItemFormSet passes the story, also to forms of new points

    citations = SourceCitationsField(
        required=False,
        help_text="The sources this point cites, numbered as readers will see them.",
    )

    class Meta:
        model = KeyPoint
        fields = ["position", "heading", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, parent=None, submitted=None, **kwargs):
        super().__init__(*args, **kwargs)
        story = parent or (self.instance.story if self.instance.story_id else None)
        sources = (
            list(Source.objects.filter(story=story).select_related("article__outlet"))
            if story is not None and story.pk
            else []
        )
        self.submitted = submitted or SubmittedSources()
        field = self.fields["citations"]
        field.sources = sources
        field.choices = [
            *(
                (str(source.pk), f"[{n}] {source.article.outlet.name}: {source.article.title}")
                for n, source in enumerate(sources, start=1)
            ),
            *(
                (f"{field.NEW}{index}", f"[{n}] New: {named}")
                for n, (index, named) in enumerate(self.submitted.new.items(), len(sources) + 1)
            ),
        ]
        if self.instance.pk:
            self.initial["citations"] = [
                str(pk) for pk in self.instance.citation_links.values_list("source_id", flat=True)
            ]

    def clean_citations(self):
        cited = self.cleaned_data["citations"]
        removed = [
            label
            for value, label in self.fields["citations"].choices
            if value in cited and value in self.submitted.removed
        ]
        if removed:
            raise ValidationError(
                f"This point cites {', '.join(removed)}, which this save removes: "
                "take the citation off, or keep the source."
            )
        return cited

    def save_citations(self, new_sources):
        """Write what the point cites, once its story's sources (new ones too) are saved:
        `new_sources` are those, by their form's index."""
        if "citations" in self.changed_data:
            field = self.fields["citations"]
            self.instance.citations.set(field.resolve(self.cleaned_data["citations"], new_sources))
