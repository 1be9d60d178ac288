import datetime as dt
import json
import secrets
import time
from typing import NamedTuple
from urllib.parse import parse_qs, quote, urlparse

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models.functions import Lower, Trim
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from newsroom.shows import ShownOn, ShownQuerySet

from .constraints import http_url, not_blank, one_position
from .fields import HttpURLField, LanguageField
from .markdown import RendersMarkdown
from .pagination import ORDER, PAGE_SIZE, KeysetPage, after
from .prepared import PreparedQuery, instance
from .renditions import HERO_WIDTHS, THUMBNAIL_WIDTHS, measure, picture_of


class ContentVersion(models.Model):
    """One row that changes whenever anything the public pages show changes.

    Every save or delete of public content bumps it (newsroom.derived), so a page cached under
    the version it was rendered at is never served after a change, by any process, whatever
    the cache backend. It also carries what every page needs and what changes only with it:
    the navigation, and the next moment a scheduled story goes live (which bumps it too).
    """

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)
    next_publish_at = models.DateTimeField(null=True, blank=True)
    navigation = models.JSONField(default=list)
    # Every page shows the navigation: its last change bounds every page's Last-Modified.
    navigation_changed_at = models.DateTimeField(default=timezone.now)

    # What current() reads: everything but the key.
    READ_FIELDS = (
        "version",
        "changed_at",
        "next_publish_at",
        "navigation",
        "navigation_changed_at",
    )

    class Meta:
        verbose_name = "content version"
        verbose_name_plural = "content version"

    def __str__(self):
        return f"version {self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"

    @classmethod
    def current(cls):
        """The state as the database holds it: a single-row primary-key lookup."""
        state = cls._read()
        if state is None or state.is_due():
            cls.bump()
            state = cls._read()
        return state

    def is_due(self):
        """A scheduled story has gone live since this state was written: bump it."""
        return self.next_publish_at is not None and self.next_publish_at <= timezone.now()

    @property
    def stamp(self):
        # changed_at too: a version number alone could repeat if the row were ever recreated.
        return f"{self.version}.{self.changed_at.timestamp()}"

    # --- The state shared through the page cache --------------------------------------------
    #
    # A cached page must not wait on the database, so public requests read the state from the
    # cache, in the same round trip as the page itself (stories.middleware). It stays exact:
    # every bump writes the new state to the cache once its transaction commits, before any
    # reader can be told of the edit (and removes the old one at once, so that readers in the
    # meantime read the row). Two things could leave an older state there: the cache failing
    # at that moment, or writes crossing. Readers bound both by reading the row again once the
    # shared copy is SHARED_STATE_SECONDS old, so a page can lag an edit by at most that long,
    # and only when the cache itself failed or two edits raced.

    @classmethod
    def shared(cls, cache, entry):
        """The state for a public request, given what `cache` held under STATE_KEY.

        The shared copy while it is fresh; else the row, shared again. While the database is
        unreachable the last shared copy is still the truth (nothing can be edited), so
        cached pages keep being served."""
        state = cls.decode(entry)
        fresh_since = time.time() - settings.SHARED_STATE_SECONDS
        if state is not None and state.shared_at > fresh_since and not state.is_due():
            return state
        try:
            fresh = cls.current()
        except DatabaseError:
            if state is None:
                raise
            return state
        if state is None:
            # add, not set: a bump that committed since our read has written a newer state.
            cache.add(STATE_KEY, fresh.encode(), None)
        else:
            cache.set(STATE_KEY, fresh.encode(), None)
        return fresh

    def encode(self):
        return json.dumps(
            {
                "version": self.version,
                "changed_at": self.changed_at.isoformat(),
                "next_publish_at": self.next_publish_at and self.next_publish_at.isoformat(),
                "navigation": self.navigation,
                "navigation_changed_at": self.navigation_changed_at.isoformat(),
                "shared_at": time.time(),
            }
        ).encode()

    @classmethod
    def decode(cls, entry):
        """The state a cache entry holds, or None for anything else (a cache is untrusted)."""
        try:
            fields = json.loads(entry)
            when = dt.datetime.fromisoformat
            state = cls(
                id=1,
                version=int(fields["version"]),
                changed_at=when(fields["changed_at"]),
                next_publish_at=fields["next_publish_at"] and when(fields["next_publish_at"]),
                navigation=list(fields["navigation"]),
                navigation_changed_at=when(fields["navigation_changed_at"]),
            )
            state.shared_at = float(fields["shared_at"])
        except (TypeError, ValueError, KeyError):  # json.JSONDecodeError is a ValueError
            return None
        return state

    @classmethod
    def _read(cls):
        # Every public request (a cache hit too) pays for this read: its SQL is compiled once.
        rows = CONTENT_STATE()
        return cls(id=1, **dict(zip(cls.READ_FIELDS, rows[0], strict=True))) if rows else None

    @classmethod
    def bump(cls):
        now = timezone.now()
        navigation = [feed.as_navigation() for feed in Feed.objects.all()]
        values = {
            "changed_at": now,
            "next_publish_at": Story.objects.filter(
                status=Story.Status.PUBLISHED, published_at__gt=now
            ).aggregate(next=models.Min("published_at"))["next"],
            "navigation": navigation,
        }
        previous = cls.objects.filter(pk=1).values_list("navigation", flat=True).first()
        if previous != navigation:
            values["navigation_changed_at"] = now
        if not cls.objects.filter(pk=1).update(version=models.F("version") + 1, **values):
            cls.objects.get_or_create(pk=1, defaults={"version": 1, **values})
        cache = caches[settings.PAGE_CACHE_ALIAS]
        if not isinstance(cache, DummyCache):
            # Readers fall back to the row until the new state is shared once committed.
            cache.delete(STATE_KEY)
            transaction.on_commit(lambda: cache.set(STATE_KEY, cls._read().encode(), None))

    def page_changed_at(self, *times):
        """A page's Last-Modified: its own latest change, or the navigation's if later."""
        return max(time for time in (*times, self.navigation_changed_at) if time is not None)

    def feed(self, slug=None):
        """A feed as the navigation holds it (see Feed.as_navigation); None: the home page
        feed when slug is None, else no feed with that slug."""
        for feed in self.navigation:
            if feed["slug"] == slug if slug is not None else feed["is_homepage"]:
                return feed
        return None


# Where the page cache keeps the content state (ContentVersion.shared).
STATE_KEY = "content-state"
CONTENT_STATE = PreparedQuery(
    lambda: ContentVersion.objects.filter(pk=1).values_list(*ContentVersion.READ_FIELDS)
)


class Versioned(models.Model):
    """A row edited on an admin screen, with a counter that every save moves on.

    A form carries the version it was opened at; a save from an older one is refused
    (newsroom.editing.StaleFormCheck), so no one silently overwrites someone else's edit.
    Revisions leave it out (newsroom.history.register(..., exclude=["version"])): a revert moves it
    on, never back.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        bump = self.pk is not None and not kwargs.get("update_fields")
        if bump:
            # Counted in the database: two saves can never both read one version.
            self.version = models.F("version") + 1
        super().save(*args, **kwargs)
        if bump:
            self.refresh_from_db(fields=["version"])


# A story's fields that its listings copy.
LISTED_FIELDS = frozenset({"status", "published_at", "updated_at"})


class ShownOnStories(models.Model):
    """A row that pages show. Each model declares which pages (`shown_on`, a
    newsroom.shows.ShownOn) next to its fields; the derived-data seam rebuilds them when the
    row changes, and the newsroom's rule reads it: once a published or archived story shows
    a row, only an editor may change it (newsroom.editing)."""

    objects = ShownQuerySet.as_manager()

    class Meta:
        abstract = True

    def shown_by(self):
        """The stories whose pages show this row, directly or through their timeline."""
        stories, timelines = self.shown_on.pages_of(self)
        return Story.objects.filter(models.Q(pk__in=stories) | models.Q(timeline__in=timelines))

    def is_editor_only(self):
        if self.pk is None:
            return False  # not written yet: nothing shows it
        return self.shown_by().editor_only().exists()


class Feed(ShownOnStories, Versioned):
    """A named collection of stories: Top Headlines, or a topic such as Latin America."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    nav_position = models.PositiveIntegerField(
        "place in navigation",
        default=0,
        help_text="Feeds are listed in the site navigation in this order.",
    )
    is_homepage = models.BooleanField(
        "home page feed",
        default=False,
        help_text="The feed shown on the front page (Top Headlines). Only one feed can be it.",
    )

    class Meta:
        ordering = ["nav_position", "name"]
        verbose_name = "feed"
        verbose_name_plural = "feeds"
        constraints = [
            not_blank("name", "feed_name_not_blank"),
            models.UniqueConstraint(
                fields=["is_homepage"],
                condition=models.Q(is_homepage=True),
                name="feed_single_homepage",
                violation_error_message="Another feed is already the home page feed.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        if self.is_homepage:
            return reverse("stories:home")
        return reverse("stories:feed", kwargs={"slug": self.slug})

    # No stored page shows a feed: its page and the navigation are read live, and any change
    # moves the content version on. Its stories "show" it for the editing rule.
    shown_on = ShownOn(everywhere=True)

    def shown_by(self):
        return self.stories.all()

    def as_navigation(self):
        """What every page keeps of a feed (in ContentVersion): enough to show its page."""
        return {
            "id": self.pk,
            "name": self.name,
            "slug": self.slug,
            "url": self.get_absolute_url(),
            "description": self.description,
            "is_homepage": self.is_homepage,
        }


class StoryQuerySet(ShownQuerySet):
    def published(self, now=None):
        """Stories readers may see: published, and not scheduled for later (than now)."""
        return self.filter(status=Story.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def editor_only(self):
        """Stories past the reporters' desk: published (scheduled too) or archived."""
        return self.filter(status__in=Story.EDITOR_ONLY)

    def in_state(self, state, now=None):
        """Stories in `state`, a key of story_states()."""
        return self.filter(story_states(now)[state][1])

    def desk_counts(self, now=None):
        """{state as the newsroom says it: number of stories}, in the order a story moves
        through them (a story published for later is Scheduled). One query."""
        states = story_states(now).values()
        counts = self.aggregate(
            **{f"state_{n}": models.Count("pk", filter=q) for n, (_, q) in enumerate(states)}
        )
        return {label: counts[f"state_{n}"] for n, (label, _) in enumerate(states)}

    def waiting_for_review(self):
        """Stories sent for review, the longest waiting first, each with when it was last
        saved and by whom (its latest History revision; else its own modification time)."""
        from django.contrib.contenttypes.models import ContentType
        from reversion.models import Version

        latest = Version.objects.filter(
            content_type=ContentType.objects.get_for_model(Story),
            object_id=models.functions.Cast(models.OuterRef("pk"), models.CharField()),
        ).order_by("-revision__date_created", "-pk")
        return (
            self.filter(status=Story.Status.IN_REVIEW)
            .annotate(
                last_saved_at=models.functions.Coalesce(
                    models.Subquery(latest.values("revision__date_created")[:1]),
                    "modified_at",
                ),
                last_saved_by=models.Subquery(latest.values("revision__user__username")[:1]),
            )
            .order_by("last_saved_at", "pk")
        )

    def visible_to(self, user):
        """Editors may preview any story at its public address; readers see published ones."""
        if user.is_authenticated and user.has_perm("stories.view_story"):
            return self.all()
        return self.published()

    def for_cards(self):
        """What a feed shows of each story: its stored card and the time it fills in, as
        rows (Card), not model instances: a feed page builds twenty of them."""
        return self.values_list(*Card._fields, named=True)

    def for_syndication(self):
        """What RSS and Atom items carry: text and times, not the stored HTML (and whether
        the stored lede is current)."""
        return self.only(
            "headline",
            "slug",
            "summary",
            "lede",
            "published_at",
            "updated_at",
            "render_fingerprint",
        )

    def for_page(self):
        """What a story page reads at request time: the row, its stored page and its image."""
        return self.select_related("hero_image").only(
            *PAGE_FIELDS, *(f"hero_image__{name}" for name in PAGE_IMAGE_FIELDS)
        )


def story_states(now=None):
    """{key: (label, condition)} of the states a story moves through, as the newsroom says
    them (the desk, the story list's State filter, stories.workflow.state_of): a story
    published for later is Scheduled."""
    now = now or timezone.now()
    published = models.Q(status=Story.Status.PUBLISHED)
    return {
        "draft": ("Draft", models.Q(status=Story.Status.DRAFT)),
        "review": ("In review", models.Q(status=Story.Status.IN_REVIEW)),
        "scheduled": ("Scheduled", published & models.Q(published_at__gt=now)),
        "published": ("Published", published & models.Q(published_at__lte=now)),
        "archived": ("Archived", models.Q(status=Story.Status.ARCHIVED)),
    }


class StoryManager(models.Manager.from_queryset(StoryQuerySet)):
    """Whole reads for the public pages. Unlike queryset methods, these ignore any filter
    before them, so they live here: Story.objects.feed_page(), never .filter().feed_page()."""

    def feed_page(self, feed_id, cursor=None):
        """A page of a feed's cards (feed_id None: of every published story), newest first.

        The first page, which every reader of a feed asks for, runs SQL compiled once per
        process (PreparedQuery); the pages after it continue from the cursor.
        """
        now = timezone.now()
        if cursor:
            rows = after(cards_of(feed_id, now), cursor)[: PAGE_SIZE + 1]
        elif feed_id is None:
            rows = FIRST_CARDS_OF_ALL(now=now)
        else:
            rows = FIRST_CARDS_OF_FEED(now=now, feed_id=feed_id)
        return KeysetPage([Card._make(row) for row in rows], is_first=not cursor)

    def page_for(self, user, slug):
        """The story at `slug` as its page reads it (for_page()), if `user` may see it.

        Readers' requests, nearly all of them, run SQL compiled once per process
        (PreparedQuery); editors' go through visible_to(), which lets them preview.
        """
        if user.is_authenticated:
            stories = self.visible_to(user).for_page().filter(slug=slug).order_by()
            return next(iter(stories[:1]), None)
        rows = PUBLIC_PAGE(now=timezone.now(), slug=slug)
        if not rows:
            return None
        story_values, image_values = rows[0][: len(PAGE_FIELDS)], rows[0][len(PAGE_FIELDS) :]
        story = instance(Story, PAGE_FIELDS, story_values, self.db)
        image = None
        if image_values[0] is not None:  # the image's key: the story, when it has one
            image = instance(HeroImage, ["story_id", *PAGE_IMAGE_FIELDS], image_values, self.db)
        Story.hero_image.related.set_cached_value(story, image)
        return story


class Story(ShownOnStories, Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    # Out of reporters' hands: what a story in these states shows, only editors change.
    EDITOR_ONLY = (Status.PUBLISHED, Status.ARCHIVED)

    headline = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(blank=True, help_text="One or two sentences for feeds and sharing.")
    byline = models.CharField(
        max_length=200, blank=True, help_text="Who reported it, as readers see it: “Ana Ruiz”."
    )
    language = LanguageField(
        help_text="The story's language if not the site's, as a tag: es, pt-BR, ar. Pages mark "
        "its text with it, so that screen readers pronounce it and Arabic runs right to left."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "first published",
        null=True,
        blank=True,
        help_text="Set once when the story is first published; a future time schedules it.",
    )
    updated_at = models.DateTimeField(
        "updated",
        null=True,
        blank=True,
        help_text='The "Updated" time readers see. It moves only when an editor marks an update.',
    )
    feeds = models.ManyToManyField(Feed, related_name="stories", blank=True)
    timeline = models.ForeignKey(
        "timelines.Timeline",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stories",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Changes on every save: drives cache validation, unlike the editorial updated_at.
    modified_at = models.DateTimeField(auto_now=True)
    # Derived (stories.pages) whenever anything the page shows changes, by newsroom.derived,
    # so that a page view reads one row and renders little.
    lede = models.CharField(max_length=300, editable=False, default="")
    article_count = models.PositiveIntegerField(editable=False, default=0)
    body_html = models.TextField(editable=False, default="")
    # The story's card in feeds and search results, but for the line with the time.
    card_html = models.TextField(editable=False, default="")
    json_ld = models.TextField(editable=False, default="")
    # Headline, summary, key points and timeline entries in one column that search indexes.
    search_text = models.TextField(editable=False, default="")
    # The rendering code the stored columns above were made by (newsroom.derived): a row
    # made by other code, or marked stale (""), is rebuilt before it is served.
    render_fingerprint = models.CharField(max_length=32, editable=False, default="")

    DERIVED_FIELDS = frozenset(
        {
            "lede",
            "article_count",
            "body_html",
            "card_html",
            "json_ld",
            "search_text",
            "render_fingerprint",
            "modified_at",
        }
    )
    # Its own page; and its feed listings copy its status and times.
    # Its own page; its feed listings copy its status and times; and its timeline's page,
    # which may carry its numbers and its headline (timelines.pages).
    shown_on = ShownOn(stories=["pk"], timelines=["timeline"], listings=LISTED_FIELDS)

    objects = StoryManager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "story"
        verbose_name_plural = "stories"
        permissions = [("publish_story", "Can publish, schedule, unpublish and archive stories")]
        constraints = [
            not_blank("headline", "story_headline_not_blank"),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="story_published_has_time",
                violation_error_message="A published story needs its first-published time.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="story_status_updated_idx"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        if self.status == self.Status.PUBLISHED and self.published_at and not self.updated_at:
            self.updated_at = self.published_at
        old_slug = getattr(self, "_saved_slug", None)
        super().save(*args, **kwargs)
        # A published story's old address keeps working (see PreviousSlug).
        if old_slug and old_slug != self.slug and self.published_at:
            PreviousSlug.objects.update_or_create(slug=old_slug, defaults={"story": self})
            PreviousSlug.objects.filter(slug=self.slug).delete()
        self._saved_slug = self.slug

    def get_absolute_url(self):
        return reverse("stories:story", kwargs={"slug": self.slug})

    @property
    def news_language(self):
        """The story's language as Google News takes it: an ISO 639 code (es), or zh-cn and
        zh-tw for Chinese; the site's when the story names none."""
        tag = (self.language or settings.LANGUAGE_CODE).lower()
        if tag.startswith("zh"):
            return "zh-tw" if tag.endswith(("-tw", "-hant", "-hk")) else "zh-cn"
        return tag.split("-")[0]

    def is_editor_only(self):
        # Its own status, as this instance holds it: a revision about to be restored is
        # judged as it would become, the row in the database as it is.
        return self.status in self.EDITOR_ONLY

    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        story = super().from_db(db, field_names, values, *args, **kwargs)
        story._saved_slug = story.slug if "slug" in field_names else None
        return story

    @property
    def is_public(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def status_label(self):
        """The status as the newsroom says it: a story published for later is "Scheduled"."""
        if self.status == self.Status.PUBLISHED and not self.is_public:
            return "Scheduled"
        return self.get_status_display()


class ReviewComment(models.Model):
    """An editor's word to the reporter on sending a story back: shown on the story screen
    until the story is submitted again. Not a reader's note (StoryNote)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Answered: the story was submitted for review again since.
    answered = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "review comment"
        verbose_name_plural = "review comments"

    def __str__(self):
        return self.text[:60]


class SharedPreviewQuerySet(models.QuerySet):
    def keep(self, editor, story_id, html):
        """Keep `html` as `editor`'s latest preview of a story (story_id None: a story not
        saved yet), replacing the one before; the token of its address."""
        preview, _ = self.update_or_create(
            editor=editor,
            story_id=story_id,
            defaults={"html": html},
            create_defaults={"html": html, "token": secrets.token_urlsafe(24)},
        )
        return preview.token


class SharedPreview(models.Model):
    """An editor's latest preview of their unsaved story form, as readers would see it, at
    an address (its token) other staff may open: one per editor and story, replaced by each
    new preview. Never shown to readers (stories.admin.StoryAdmin.shared_preview_view)."""

    token = models.CharField(max_length=64, unique=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, null=True, related_name="+")
    html = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = SharedPreviewQuerySet.as_manager()

    # Unused this long, it is deleted (prune_editing_leftovers).
    KEPT_FOR = dt.timedelta(days=7)

    class Meta:
        verbose_name = "shared preview"
        verbose_name_plural = "shared previews"

    def __str__(self):
        return f"{self.editor}'s preview of {self.story or 'a new story'}"


# Newest first, as ORDER is for stories.
LISTING_ORDER = ("-updated_at", "-story_id")


class ListingQuerySet(models.QuerySet):
    def published(self, now=None):
        """Listings of stories readers may see (as StoryQuerySet.published())."""
        return self.filter(status=Story.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def for_cards(self):
        """Rows in Card's order: the story's id, its updated time and its stored card."""
        return self.values_list(
            "story_id", "updated_at", "story__card_html", "story__render_fingerprint"
        )


class Listing(models.Model):
    """A story's place in one of its feeds, whatever its status, with the fields a feed page
    filters and sorts on copied from the story (kept exact by newsroom.derived on every write
    of a story or of its feed memberships).

    A feed page then reads its twenty newest stories off one index, in order, wherever they
    are among the newsroom's stories. Filtering the stories by feed membership instead walks
    every story newer than the page's last one, of every feed, and costs more as the feed's
    share of the newsroom shrinks and its table outgrows the database's memory.
    """

    # Both keys are searched through the indexes below, which begin with them.
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="+", db_index=False)
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="listings", db_index=False
    )
    status = models.CharField(max_length=10, choices=Story.Status)
    published_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(null=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "feed"], name="listing_story_feed_unique"),
        ]
        verbose_name = "feed listing"
        indexes = [
            # A feed's page: equality on feed and status, then the order; published_at last,
            # so that scheduled stories are skipped without reading the table.
            models.Index(
                fields=["feed", "status", "-updated_at", "-story", "published_at"],
                name="listing_feed_page_idx",
            ),
        ]

    def __str__(self):
        return f"story {self.story_id} in feed {self.feed_id}"


class Card(NamedTuple):
    """A story as a feed lists it: the stored card and the time it fills in."""

    pk: int
    updated_at: dt.datetime
    card_html: str
    render_fingerprint: str


def cards_of(feed_id, now):
    """A feed's cards, newest first: its listings, or every published story (feed_id None)."""
    if feed_id is None:
        return Story.objects.published(now).for_cards().order_by(*ORDER)
    return Listing.objects.published(now).filter(feed=feed_id).for_cards().order_by(*LISTING_ORDER)


def _first_cards(now, feed_id=None):
    return cards_of(feed_id, now)[: PAGE_SIZE + 1]


# What a story page shows that is not in its stored body: the head, the headline, the time.
PAGE_FIELDS = [
    "id",
    "headline",
    "language",
    "slug",
    "summary",
    "status",
    "published_at",
    "updated_at",
    "modified_at",
    "lede",
    "article_count",
    "body_html",
    "json_ld",
    "render_fingerprint",
]
PAGE_IMAGE_FIELDS = ["image", "width", "height", "image_url", "alt_text"]


def _public_page(now, slug):
    return (
        Story.objects.published(now)
        .filter(slug=slug)
        .values_list(
            *PAGE_FIELDS, "hero_image__story", *(f"hero_image__{f}" for f in PAGE_IMAGE_FIELDS)
        )
        .order_by()[:1]
    )


# Samples that no real value equals: PreparedQuery finds each value's place by them.
SAMPLE_NOW = dt.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)
FIRST_CARDS_OF_ALL = PreparedQuery(_first_cards, now=SAMPLE_NOW)
FIRST_CARDS_OF_FEED = PreparedQuery(_first_cards, now=SAMPLE_NOW, feed_id=-1)
PUBLIC_PAGE = PreparedQuery(_public_page, now=SAMPLE_NOW, slug="-sample-slug-")


class PreviousSlug(ShownOnStories, models.Model):
    """An address a published story had before its slug changed; it redirects permanently."""

    slug = models.SlugField(max_length=200, unique=True)
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="previous_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    # Not on the page, but cached redirects follow it.
    shown_on = ShownOn(stories=["story"])

    class Meta:
        ordering = ["slug"]
        verbose_name = "previous slug"
        verbose_name_plural = "previous slugs"

    def __str__(self):
        return self.slug


class HeroImage(ShownOnStories, models.Model):
    """The picture at the top of a story, with the caption and credit readers see under it."""

    story = models.OneToOneField(
        Story, on_delete=models.CASCADE, primary_key=True, related_name="hero_image"
    )
    image = models.ImageField(upload_to="stories/%Y/%m/", blank=True)
    # The upload's size, which its renditions follow (measure()).
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_url = HttpURLField(
        "remote image URL",
        blank=True,
        help_text="For imported coverage: used when no file is uploaded.",
    )
    alt_text = models.CharField(
        max_length=300, help_text="What the image shows, for screen readers."
    )
    caption = models.TextField(blank=True)
    credit = models.CharField(max_length=200, blank=True, help_text='For example "Image: BBC".')
    source_name = models.CharField(
        max_length=200, blank=True, help_text='Who made the original, e.g. "Colombia Presidency".'
    )
    source_url = HttpURLField("source link", blank=True)
    full_size_url = HttpURLField("full-size original", blank=True)

    shown_on = ShownOn(stories=["story"])

    class Meta:
        verbose_name = "hero image"
        verbose_name_plural = "hero images"
        constraints = [
            not_blank("alt_text", "heroimage_alt_text_not_blank"),
            models.CheckConstraint(
                condition=~models.Q(image="") | ~models.Q(image_url=""),
                name="heroimage_has_image",
                violation_error_message="Upload an image or give a remote image URL.",
            ),
            http_url("image_url", "heroimage_image_url_http", optional=True),
            http_url("source_url", "heroimage_source_url_http", optional=True),
            http_url("full_size_url", "heroimage_full_size_url_http", optional=True),
        ]

    def __str__(self):
        return self.alt_text

    def save(self, *args, **kwargs):
        self.width, self.height = measure(self.image)
        super().save(*args, **kwargs)

    @property
    def src(self):
        return self.image.url if self.image else self.image_url

    @property
    def full_size(self):
        """Where "Full size" leads: the original given, else the uploaded file itself."""
        return self.full_size_url or (self.image.url if self.image else "")

    @property
    def picture(self):
        """The upload's renditions (stories.renditions); None for a remote image."""
        return picture_of(self.image, self.width, self.height, HERO_WIDTHS)

    @property
    def preview_src(self):
        """What a link preview shows (og:image, JSON-LD): never the original upload."""
        return self.picture.largest if self.picture else self.image_url


def site_of(url):
    """An address's site as outlets are told apart: its host, lower case, without "www."."""
    try:
        host = urlparse(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


class OutletQuerySet(ShownQuerySet):
    def named(self, name):
        """The outlet with this name, whatever its case and surrounding spaces."""
        return self.filter(name__iexact=name.strip())

    def get_or_create_named(self, name):
        """The outlet with this name (named()), made now with a slug of its own if none is."""
        outlet = self.named(name).first()
        if outlet is None:
            base = slugify(name)[:90] or "outlet"
            slug, n = base, 2
            while self.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            outlet = self.model(name=name.strip(), slug=slug)
            outlet.full_clean()
            outlet.save()
        return outlet

    def for_address(self, url):
        """The outlet whose website is the site of `url` (news.bbc.com is bbc.com's), or
        None: the longest matching site wins, and a site several outlets give is no one's."""
        host = site_of(url)
        if not host:
            return None
        by_site = {}
        for outlet in self.exclude(website=""):
            by_site.setdefault(site_of(outlet.website), []).append(outlet)
        for site in sorted(by_site, key=len, reverse=True):
            if site and (host == site or host.endswith("." + site)):
                found = by_site[site]
                return found[0] if len(found) == 1 else None
        return None


class Outlet(ShownOnStories, Versioned):
    """A publisher whose articles stories cite: BBC, Reuters, ..."""

    name = models.CharField(
        max_length=200, unique=True, help_text="Unique whatever its case: “bbc” is “BBC”."
    )
    slug = models.SlugField(max_length=100, unique=True)
    website = HttpURLField(blank=True)

    # Its articles' names of it, on the pages citing them.
    shown_on = ShownOn(
        stories=["articles__sources__story"],
        timelines=["articles__entry_citation_links__entry__timeline"],
    )

    objects = OutletQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "outlet"
        verbose_name_plural = "outlets"
        constraints = [
            not_blank("name", "outlet_name_not_blank"),
            http_url("website", "outlet_website_http", optional=True),
            models.UniqueConstraint(
                Lower(Trim("name")),
                name="outlet_name_unique_any_case",
                violation_error_message="An outlet of that name exists already (names are "
                "the same whatever their case).",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.name = self.name.strip()


class Article(ShownOnStories, Versioned):
    """An outlet's article. Stories cite it through their sources; timeline entries directly."""

    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=500)
    url = HttpURLField("URL", unique=True)
    author = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField("publication time", null=True, blank=True)
    language = LanguageField(help_text="The title's language if not the site's: es, pt-BR, ar.")

    # As a story's source, and cited by timeline entries.
    shown_on = ShownOn(
        stories=["sources__story"], timelines=["entry_citation_links__entry__timeline"]
    )

    class Meta:
        ordering = ["-published_at", "id"]
        verbose_name = "article"
        verbose_name_plural = "articles"
        constraints = [
            not_blank("title", "article_title_not_blank"),
            http_url("url", "article_url_http"),
        ]

    def __str__(self):
        return f"{self.outlet}: {self.title}" if self.outlet_id else self.title


class StoryItem(ShownOnStories, models.Model):
    """An item listed in order on a story page."""

    position = models.PositiveIntegerField(default=0, db_index=False)

    shown_on = ShownOn(stories=["story"])

    class Meta:
        abstract = True
        ordering = ["position"]


class Source(StoryItem):
    """An article in a story's numbered list of sources; its rank is its citation number."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="sources")
    # RESTRICT: an article survives while any story still lists it.
    article = models.ForeignKey(Article, on_delete=models.RESTRICT, related_name="sources")

    # Its story's page, and its story's timeline page, which numbers citations as it does.
    shown_on = ShownOn(stories=["story"], timelines=["story__timeline"])

    class Meta(StoryItem.Meta):
        verbose_name = "source"
        verbose_name_plural = "sources"
        constraints = [
            one_position("story", "source_unique_position", "sources"),
            models.UniqueConstraint(
                fields=["story", "article"],
                name="source_unique_article",
                violation_error_message="This article is already a source of the story.",
            ),
        ]

    def __str__(self):
        return str(self.article)


class KeyPoint(RendersMarkdown, StoryItem):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="key_points")
    heading = models.CharField(max_length=300)
    body = models.TextField(help_text="Markdown: *emphasis*, **bold**, [links](https://...).")
    body_html = models.TextField(editable=False, default="")
    RENDERED_FIELDS = {"body_html": "body"}
    citations = models.ManyToManyField(
        Source, through="KeyPointCitation", related_name="key_points", blank=True
    )

    class Meta(StoryItem.Meta):
        verbose_name = "key point"
        verbose_name_plural = "key points"
        constraints = [
            one_position("story", "keypoint_unique_position", "key points"),
            not_blank("heading", "keypoint_heading_not_blank"),
            not_blank("body", "keypoint_body_not_blank"),
        ]

    def __str__(self):
        return self.heading


def restrict_when_deleted_alone(collector, field, sub_objs, using):
    """on_delete: RESTRICT when the deletion started from the rows themselves (a cited
    source's delete(), or a queryset of sources): a cited source stays. CASCADE when it
    started elsewhere: a story deleted, or History reverting a story to before its sources,
    which removes the rows one kind at a time in no fixed order (reversion's Collector), so
    RESTRICT would refuse a source collected before the key points citing it that go in
    the same revert."""
    origin = collector.origin
    started_from = origin.model if isinstance(origin, models.QuerySet) else type(origin)
    if origin is not None and started_from is field.remote_field.model:
        return models.RESTRICT(collector, field, sub_objs, using)
    return models.CASCADE(collector, field, sub_objs, using)


class KeyPointCitation(ShownOnStories, models.Model):
    """A key point citing one of its story's sources.

    It points at the Source row, not at a number: reordering sources renumbers every
    citation with them, and a cited source cannot be removed (RESTRICT) until the
    citation is.
    """

    key_point = models.ForeignKey(
        KeyPoint, on_delete=models.CASCADE, related_name="citation_links"
    )
    source = models.ForeignKey(
        Source, on_delete=restrict_when_deleted_alone, related_name="citation_links"
    )

    shown_on = ShownOn(stories=["key_point__story"])

    class Meta:
        verbose_name = "key point citation"
        verbose_name_plural = "key point citations"
        constraints = [
            models.UniqueConstraint(
                fields=["key_point", "source"],
                name="keypointcitation_unique",
                violation_error_message="The key point already cites this source.",
            ),
        ]

    def __str__(self):
        return f"{self.key_point} → {self.source}"

    def clean(self):
        if (
            self.key_point_id
            and self.source_id
            and self.key_point.story_id != self.source.story_id
        ):
            raise ValidationError({"source": "A key point can only cite its own story's sources."})


class Video(StoryItem):
    class Provider(models.TextChoices):
        YOUTUBE = "youtube", "YouTube"
        VIMEO = "vimeo", "Vimeo"
        OTHER = "other", "Other"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=300)
    url = HttpURLField("URL")
    provider = models.CharField(max_length=10, choices=Provider, default=Provider.OTHER)
    thumbnail = models.ImageField(
        upload_to="videos/%Y/%m/", blank=True, help_text="A still to show; else the thumbnail URL."
    )
    thumbnail_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    thumbnail_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    thumbnail_url = HttpURLField("thumbnail URL", blank=True)
    duration = models.DurationField(null=True, blank=True, help_text="hh:mm:ss")

    class Meta(StoryItem.Meta):
        verbose_name = "video"
        verbose_name_plural = "videos"
        constraints = [
            one_position("story", "video_unique_position", "videos"),
            not_blank("title", "video_title_not_blank"),
            http_url("url", "video_url_http"),
            http_url("thumbnail_url", "video_thumbnail_url_http", optional=True),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.thumbnail_width, self.thumbnail_height = measure(self.thumbnail)
        super().save(*args, **kwargs)

    @property
    def thumbnail_picture(self):
        """The uploaded still's renditions (stories.renditions); None for a remote one."""
        return picture_of(
            self.thumbnail, self.thumbnail_width, self.thumbnail_height, THUMBNAIL_WIDTHS
        )

    @property
    def embed_url(self):
        """A privacy-friendly player address, loaded only when the reader asks for it."""
        parts = urlparse(self.url)
        if self.provider == self.Provider.YOUTUBE:
            video_id = parse_qs(parts.query).get("v", [""])[0] or parts.path.rsplit("/", 1)[-1]
            return f"https://www.youtube-nocookie.com/embed/{quote(video_id)}?autoplay=1"
        if self.provider == self.Provider.VIMEO:
            video_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
            return (
                f"https://player.vimeo.com/video/{video_id}?autoplay=1"
                if video_id.isdigit()
                else ""
            )
        return ""

    @property
    def duration_label(self):
        if not self.duration:
            return ""
        minutes, seconds = divmod(int(self.duration.total_seconds()), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ExternalResource(StoryItem):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=300)
    url = HttpURLField("URL")
    description = models.CharField(max_length=500, blank=True)

    class Meta(StoryItem.Meta):
        verbose_name = "external resource"
        verbose_name_plural = "external resources"
        constraints = [
            one_position("story", "resource_unique_position", "resources"),
            not_blank("title", "resource_title_not_blank"),
            http_url("url", "resource_url_http"),
        ]

    def __str__(self):
        return self.title


class StoryNote(ShownOnStories, models.Model):
    """An update or a correction, shown to readers in the story's Updates list."""

    class Kind(models.TextChoices):
        UPDATE = "update", "Update"
        CORRECTION = "correction", "Correction"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.UPDATE)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    shown_on = ShownOn(stories=["story"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "update note"
        verbose_name_plural = "update notes"
        constraints = [not_blank("text", "storynote_text_not_blank")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"


# A story's feed memberships decide the feeds that list it (Listing).
Story.feeds.through.shown_on = ShownOn(stories=["story"], listings=True)
