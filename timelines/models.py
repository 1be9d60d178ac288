import datetime as dt
import re

from django.db import models
from django.urls import reverse
from django.utils import timezone

from newsroom.citations import string_agg
from newsroom.shows import ShownOn, ShownQuerySet
from stories.constraints import not_blank, one_position
from stories.markdown import RendersMarkdown
from stories.models import SAMPLE_NOW, ShownOnStories, Story, Versioned
from stories.prepared import PreparedQuery, instance


class TimelineQuerySet(ShownQuerySet):
    def published(self):
        """Timelines readers may see: those shown by at least one published story."""
        return self.filter(
            models.Exists(Story.objects.published().filter(timeline=models.OuterRef("pk")))
        )


class TimelineManager(models.Manager.from_queryset(TimelineQuerySet)):
    """Whole reads for the public pages (see StoryManager)."""

    def page_for(self, user, slug):
        """(timeline, the published stories showing it) for its page; timeline None when
        `user` may not see it. Which stories show it changes with their status, so it is
        read now, not stored: with the timeline, in one query, whose SQL a reader's request
        runs compiled once per process (PreparedQuery)."""
        rows = SHOWN_BY(now=timezone.now(), slug=slug)
        split = len(SHOWING_STORY_FIELDS)
        stories = [instance(Story, SHOWING_STORY_FIELDS, row[:split], self.db) for row in rows]
        if rows:
            timeline = instance(Timeline, PAGE_FIELDS, rows[0][split:], self.db)
        elif user.is_authenticated and user.has_perm("timelines.view_timeline"):
            timeline = self.filter(slug=slug).only(*PAGE_FIELDS).first()  # a preview
        else:
            timeline = None  # readers see a timeline once a published story shows it
        return timeline, stories


class Timeline(ShownOnStories, Versioned):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    # The entries and their sources as the page shows them (timelines.pages), derived by
    # newsroom.derived whenever an entry or a cited article changes; rebuilt before it is
    # served when made by other rendering code (see Story.render_fingerprint).
    body_html = models.TextField(editable=False, default="")
    # The story whose numbers its citations carry (timelines.pages.numbering_story).
    numbered_by = models.PositiveIntegerField(null=True, editable=False)
    render_fingerprint = models.CharField(max_length=32, editable=False, default="")

    DERIVED_FIELDS = frozenset({"body_html", "numbered_by", "render_fingerprint", "modified_at"})
    # Its own page, and (through their timeline) the pages of the stories showing it.
    shown_on = ShownOn(timelines=["pk"])

    objects = TimelineManager()

    class Meta:
        ordering = ["title"]
        verbose_name = "timeline"
        verbose_name_plural = "timelines"
        constraints = [not_blank("title", "timeline_title_not_blank")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("timelines:timeline", kwargs={"slug": self.slug})


# Month abbreviations as the seed writes them ("Oct 2025"), in English whatever the locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH = r"(?P<month>[^\W\d_]{3,9})\.?"
_YEAR = r"(?P<year>\d{4})"
# How editors write an entry's date, and the precision each way gives (read_date).
WRITTEN_DATES = [
    (re.compile(_YEAR), "year"),
    (re.compile(rf"{_YEAR}-(?P<month>\d{{1,2}})"), "month"),
    (re.compile(rf"{_MONTH} {_YEAR}"), "month"),
    (re.compile(rf"{_YEAR}-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})"), "day"),
    (re.compile(rf"{_MONTH} (?P<day>\d{{1,2}}) {_YEAR}"), "day"),
    (re.compile(rf"(?P<day>\d{{1,2}}) {_MONTH} {_YEAR}"), "day"),
]


def _month_number(name):
    """1 for "Jan", "jan." or "January": an English month's name or its start (3 letters
    or more), whatever the case; ValueError for anything else."""
    name = name.lower()
    for number, full in enumerate(MONTH_NAMES, start=1):
        if full.startswith(name):
            return number
    raise ValueError(f"{name!r} is not a month")


class TimelineEntryQuerySet(ShownQuerySet):
    def for_pages(self):
        """In reading order, each with the ids of the articles it cites (`cited_ids`), as
        story and timeline pages read them. Grouped: Meta.ordering would not apply."""
        return self.annotate(cited_ids=string_agg("citation_links__article_id")).order_by(
            "date", "position"
        )


class TimelineEntry(RendersMarkdown, ShownOnStories, models.Model):
    class Precision(models.TextChoices):
        YEAR = "year", "Year"
        MONTH = "month", "Month"
        DAY = "day", "Day"

    timeline = models.ForeignKey(Timeline, on_delete=models.CASCADE, related_name="entries")
    date = models.DateField(help_text="For a year, give January 1; for a month, its first day.")
    precision = models.CharField(
        max_length=6,
        choices=Precision,
        default=Precision.DAY,
        help_text="How much of the date the entry gives: shown as 2016, Oct 2025 or Dec 11, 2025.",
    )
    is_future = models.BooleanField(
        "future",
        default=False,
        help_text="A forward-looking entry: what is expected after the date, shown as "
        "“Future (post-Oct 2025)” at the date's precision.",
    )
    text = models.TextField(help_text="Markdown: *emphasis*, **bold**, [links](https://...).")
    text_html = models.TextField(editable=False, default="")
    RENDERED_FIELDS = {"text_html": "text"}
    position = models.PositiveIntegerField(default=0)
    citations = models.ManyToManyField(
        "stories.Article", through="EntryCitation", related_name="timeline_entries", blank=True
    )

    shown_on = ShownOn(timelines=["timeline"])

    objects = TimelineEntryQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        verbose_name = "timeline entry"
        verbose_name_plural = "timeline entries"
        constraints = [
            one_position("timeline", "entry_unique_position", "entries"),
            not_blank("text", "entry_text_not_blank"),
            # A year or month is stored as its first day, so that date order is reading order.
            models.CheckConstraint(
                condition=~models.Q(precision="year") | models.Q(date__month=1, date__day=1),
                name="entry_year_is_january_first",
                violation_error_message="A year entry's date must be January 1 of that year.",
            ),
            models.CheckConstraint(
                condition=~models.Q(precision="month") | models.Q(date__day=1),
                name="entry_month_is_first_day",
                violation_error_message="A month entry's date must be the first of the month.",
            ),
        ]
        indexes = [models.Index(fields=["timeline", "date", "position"], name="entry_date_idx")]

    def __str__(self):
        return f"{self.date_label}: {self.text[:60]}"

    @property
    def machine_date(self):
        """The date as precise as the editor gave it, as HTML's <time datetime> takes it:
        2016, 2025-10, 2025-12-11."""
        match self.precision:
            case self.Precision.YEAR:
                return f"{self.date:%Y}"
            case self.Precision.MONTH:
                return f"{self.date:%Y-%m}"
        return self.date.isoformat()

    @property
    def written_date(self):
        """The date as precise as the editor gave it, as pages show it and editors write
        it: 2016, Oct 2025, Dec 11, 2025 (read_date() reads it back)."""
        date = self.date
        match self.precision:
            case self.Precision.YEAR:
                return str(date.year)
            case self.Precision.MONTH:
                return f"{MONTHS[date.month - 1]} {date.year}"
        return f"{MONTHS[date.month - 1]} {date.day}, {date.year}"

    @property
    def date_label(self):
        """As the seed shows it: 2016, Oct 2025, Dec 11, 2025, Future (post-Feb 3, 2026);
        a future entry at the precision the editor gave (Future (post-Jun 2027))."""
        label = self.written_date
        return f"Future (post-{label})" if self.is_future else label

    @classmethod
    def read_date(cls, text):
        """(date, precision) of a date as an editor writes it: 2016; Oct 2025, October
        2025 or 2025-10; Dec 11, 2025, 11 Dec 2025 or 2025-12-11. ValueError otherwise."""
        text = " ".join(str(text).replace(",", " ").split())
        for pattern, precision in WRITTEN_DATES:
            found = pattern.fullmatch(text)
            if found is None:
                continue
            parts = found.groupdict()
            month = parts.get("month") or "1"
            month = int(month) if month.isdigit() else _month_number(month)
            day = int(parts.get("day") or 1)
            return dt.date(int(parts["year"]), month, day), cls.Precision(precision)
        raise ValueError(f"{text!r} is not a date such as 2016, Oct 2025 or Dec 11, 2025")


class EntryCitation(ShownOnStories, models.Model):
    """A timeline entry citing an article (RESTRICT: a cited article is never deleted)."""

    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.CASCADE, related_name="citation_links"
    )
    article = models.ForeignKey(
        "stories.Article", on_delete=models.RESTRICT, related_name="entry_citation_links"
    )

    shown_on = ShownOn(timelines=["entry__timeline"])

    class Meta:
        verbose_name = "entry citation"
        verbose_name_plural = "entry citations"
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "article"],
                name="entrycitation_unique",
                violation_error_message="The entry already cites this article.",
            ),
        ]

    def __str__(self):
        return f"{self.entry} → {self.article}"


# What a timeline page shows of the timeline, and of each story showing it.
PAGE_FIELDS = [
    "id",
    "title",
    "slug",
    "description",
    "body_html",
    "numbered_by",
    "render_fingerprint",
    "modified_at",
]
SHOWING_STORY_FIELDS = ["id", "headline", "slug", "published_at"]


def _shown_by(now, slug):
    return (
        Story.objects.published(now)
        .filter(timeline__slug=slug)
        .values_list(*SHOWING_STORY_FIELDS, *(f"timeline__{name}" for name in PAGE_FIELDS))
        .order_by("headline")
    )


SHOWN_BY = PreparedQuery(_shown_by, now=SAMPLE_NOW, slug="-sample-slug-")
