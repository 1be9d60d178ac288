"""Story documents: the human-editable YAML/JSON files in fixtures/, read and written.

A document holds one story with everything its page shows (see fixtures/README.md for the
format). `load_document()` validates a parsed document completely and writes it to the
database; `dump_story()` turns a story back into the same shape, so that load → dump → load
round-trips. Every error names the place in the document it comes from.
"""

import datetime as dt
import json
import re
from contextlib import nullcontext
from pathlib import Path

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, SuspiciousFileOperation, ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils.dateparse import parse_datetime, parse_duration

from newsroom import derived, history
from timelines.models import EntryCitation, Timeline, TimelineEntry

from . import limits
from .models import (
    Article,
    ExternalResource,
    Feed,
    HeroImage,
    KeyPoint,
    KeyPointCitation,
    Outlet,
    Source,
    Story,
    StoryNote,
    Video,
)

SUFFIXES = {".yaml", ".yml", ".json"}
# libyaml's parser when PyYAML was built with it: about ten times faster on large loads.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# C0 control characters other than tab, line feed and carriage return: invisible, invalid in
# XML feeds, and refused by PostgreSQL (NUL).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Unchanged(Exception):
    """A document that matches its story exactly; its rewrite is rolled back."""


class DocumentError(Exception):
    """A problem in a document, with the place it was found ("sources[3].url")."""

    def __init__(self, where, message):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


def read_file(path):
    """Parse a YAML or JSON story file, reporting syntax errors with their line."""
    path = Path(path)
    try:
        limits.check_file(path)  # before reading: an oversized file never reaches memory
        text = path.read_text(encoding="utf-8")
    except limits.LimitExceeded as exc:
        raise DocumentError(exc.where, exc.message) from None
    except UnicodeDecodeError as exc:
        raise DocumentError("", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, YAML_LOADER)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DocumentError(where, f"invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise DocumentError("", f"invalid YAML: {exc}") from exc
    except ValueError as exc:  # e.g. an integer too long to convert
        raise DocumentError("", f"unreadable value: {exc}") from exc
    except RecursionError:
        raise DocumentError("", limits.too_deep().message) from None
    try:
        limits.check_document(data)
    except limits.LimitExceeded as exc:
        raise DocumentError(exc.where, exc.message) from None
    if not isinstance(data, dict):
        raise DocumentError(
            "", "the document must be a mapping of story fields (slug, headline, ...)"
        )
    return data


def write_file(path, document):
    Path(path).write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )


# --- Reading a document -------------------------------------------------------------------


class Fields:
    """Typed access to one mapping of a document; unknown keys are errors."""

    def __init__(self, data, where):
        if not isinstance(data, dict):
            raise DocumentError(where, f"expected a mapping, got {type_name(data)}")
        self.data = data
        self.where = where
        self.seen = set()

    def at(self, key):
        return f"{self.where}.{key}" if self.where else key

    def get(self, key, types, *, required=False, default=None):
        self.seen.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                raise DocumentError(self.at(key), "this field is required")
            return default
        value = self.data[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
            expected = " or ".join(t.__name__ for t in _tuple(types))
            raise DocumentError(self.at(key), f"expected {expected}, got {type_name(value)}")
        return value

    def text(self, key, *, required=False):
        value = self.get(key, (str, int, float), required=required, default="")
        value = str(value).strip()
        if CONTROL_CHARACTERS.search(value):
            raise DocumentError(
                self.at(key),
                "contains a control character (only tabs and line breaks may be used)",
            )
        if required and not value:
            raise DocumentError(self.at(key), "must not be empty")
        return value

    def boolean(self, key, default=False):
        return self.get(key, bool, default=default)

    def integer(self, key, default=0):
        value = self.get(key, int, default=default)
        if value < 0:
            raise DocumentError(self.at(key), "must not be negative")
        return value

    def datetime(self, key, *, required=False):
        value = self.get(key, (str, dt.datetime), required=required)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is None:
                raise DocumentError(
                    self.at(key), f"{value!r} is not a date and time such as 2026-02-03T21:30:00Z"
                )
            value = parsed
        if value.tzinfo is None:
            raise DocumentError(self.at(key), "give a time zone, e.g. 2026-02-03T21:30:00Z")
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise DocumentError(self.at(key), f"{value} is out of range") from exc

    def items(self, key, *, required=False):
        values = self.get(key, list, required=required, default=[])
        return [(f"{self.at(key)}[{i}]", value) for i, value in enumerate(values)]

    def mapping(self, key, *, required=False):
        value = self.get(key, dict, required=required)
        return None if value is None else Fields(value, self.at(key))

    def done(self):
        unknown = sorted(str(k) for k in self.data if k not in self.seen)
        if unknown:
            raise DocumentError(
                self.at(unknown[0]), f"unknown field (allowed: {', '.join(sorted(self.seen))})"
            )


def _tuple(types):
    return types if isinstance(types, tuple) else (types,)


def type_name(value):
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def validate(instance, where, *, exclude=(), thorough=False):
    """Run the model's own validation and report it at the document's place.

    Items inside a story skip the uniqueness and constraint queries (thorough=False): their
    positions are assigned here and their constraints are covered by field validation, so
    checking them again would cost a query per row on large loads.
    """
    try:
        instance.full_clean(
            exclude=exclude, validate_unique=thorough, validate_constraints=thorough
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        place = where if field == NON_FIELD_ERRORS else ".".join(filter(None, [where, field]))
        raise DocumentError(place, " ".join(messages)) from exc


LONGEST_VIDEO = dt.timedelta(days=7)


def parse_video_duration(value):
    """Seconds, or text such as 00:02:30; None when not given. Up to a week, never negative."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int):
        duration = dt.timedelta(seconds=value)
    else:
        duration = parse_duration(value.strip())
    if duration is None or not dt.timedelta(0) <= duration <= LONGEST_VIDEO:
        raise ValueError(value)
    return duration


def media_file_exists(name):
    try:
        return default_storage.exists(name)
    except SuspiciousFileOperation:  # a path outside MEDIA_ROOT
        return False


def parse_entry_date(value, where):
    """'2016' → year, '2025-10' → month, '2025-12-11' → day."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value, TimelineEntry.Precision.DAY
    text = str(value).strip()
    try:
        match text.count("-"):
            case 0:
                return dt.date(int(text), 1, 1), TimelineEntry.Precision.YEAR
            case 1:
                year, month = text.split("-")
                return dt.date(int(year), int(month), 1), TimelineEntry.Precision.MONTH
            case 2:
                return dt.date.fromisoformat(text), TimelineEntry.Precision.DAY
    except (ValueError, OverflowError):
        pass
    raise DocumentError(where, f"{text!r} is not a date such as 2016, 2025-10 or 2025-12-11")


def format_entry_date(entry):
    match entry.precision:
        case TimelineEntry.Precision.YEAR:
            return f"{entry.date.year:04d}"
        case TimelineEntry.Precision.MONTH:
            return f"{entry.date.year:04d}-{entry.date.month:02d}"
    return entry.date.isoformat()


class Loader:
    """Writes documents to the database; remembers shared rows across one run."""

    def __init__(self):
        self.outlets = {}
        self.feeds = {}
        self.articles = {}
        self.slugs = {}
        # Rows fetched ahead by key, one query for a whole list (None: no such row yet).
        self.looked_up = {}
        # What each loaded document wrote, for History: (story id, origin, shared rows).
        self.written = []
        self.shared_written = []

    def load(self, data, origin=""):
        """Write one document; returns "created", "updated" or "unchanged".

        Call inside a transaction: on error the caller rolls back everything.
        """
        doc = Fields(data, "")
        slug = doc.text("slug", required=True)
        if slug in self.slugs:
            raise DocumentError(
                "slug", f"{slug!r} is also the slug of the story in {self.slugs[slug]}"
            )
        self.slugs[slug] = origin or "another document"
        story = Story.objects.filter(slug=slug).first()
        before = dump_story(story) if story else None
        # An unchanged story's rewrite is rolled back to a savepoint; a new story needs none
        # (an error rolls back the caller's transaction).
        rewrite = transaction.atomic() if before is not None else nullcontext()
        self.shared_written = []
        try:
            with rewrite, derived.batch():
                story = self._write(doc, story, slug)
                if before is not None and dump_story(story) == before:
                    raise Unchanged  # roll back the rewrite: nothing is touched or bumped
        except Unchanged:
            return "unchanged"
        self.written.append((story.pk, origin, self.shared_written))
        return "updated" if before is not None else "created"

    def _write(self, doc, story, slug):
        outlets = self._outlets(doc)
        feeds = [self._feed(Fields(item, where)) for where, item in doc.items("feeds")]
        for where, feed in zip((w for w, _ in doc.items("feeds")), feeds, strict=True):
            if feeds.count(feed) > 1:
                raise DocumentError(f"{where}.slug", f"feed {feed.slug!r} is listed twice")
        story = story or Story(slug=slug)
        story.headline = doc.text("headline", required=True)
        story.summary = doc.text("summary")
        story.status = doc.text("status") or Story.Status.DRAFT
        story.published_at = doc.datetime("published_at")
        story.updated_at = doc.datetime("updated_at")
        timeline_doc = doc.mapping("timeline")
        hero_doc = doc.mapping("hero_image")
        source_items = doc.items("sources")
        key_point_items = doc.items("key_points")
        video_items = doc.items("videos")
        resource_items = doc.items("resources")
        note_items = doc.items("notes")
        doc.done()
        if story.status == Story.Status.PUBLISHED and story.published_at is None:
            raise DocumentError("published_at", "a published story needs its first-published time")
        # Checked without the database's help (a query per constraint): the slug is the key
        # looked up above, the headline is required text, the published time just above.
        validate(story, "", exclude=["timeline"])
        story.timeline = self._timeline(timeline_doc, None) if timeline_doc else None
        is_new = story.pk is None
        story.save()
        if is_new:
            story.feeds.add(*feeds)  # set() would first read the feeds it has: none
        else:
            story.feeds.set(feeds)

        # Items are replaced wholesale: the document is the complete truth about its story.
        # (Key points go before the sources they cite; a new story has nothing to replace.)
        if not is_new:
            for model in (HeroImage, KeyPoint, Source, Video, ExternalResource, StoryNote):
                model.objects.filter(story=story).delete()
        if hero_doc:
            self._hero_image(hero_doc, story)
        sources = self._sources(source_items, story, outlets)
        self._key_points(key_point_items, story, sources)
        self._simple_items(video_items, story, Video, self._video)
        self._simple_items(resource_items, story, ExternalResource, self._resource)
        self._notes(note_items, story)
        if timeline_doc:
            self._timeline(timeline_doc, (story.timeline, sources, outlets))
        return story

    def _outlets(self, doc):
        outlets = {}
        for where, item in doc.items("outlets"):
            fields = Fields(item, where)
            slug = fields.text("slug", required=True)
            values = {
                "name": fields.text("name", required=True),
                "website": fields.text("website"),
            }
            fields.done()
            if slug in outlets:
                raise DocumentError(f"{where}.slug", f"outlet {slug!r} is listed twice")
            # Names are unique whatever their case: a file's "bbc" is the newsroom's "BBC".
            known = None
            if slug not in self.outlets and not Outlet.objects.filter(slug=slug).exists():
                known = Outlet.objects.named(values["name"]).first()
            outlets[slug] = known or self._upsert(
                self.outlets, Outlet, {"slug": slug}, values, where
            )
        return outlets

    def _feed(self, fields):
        slug = fields.text("slug", required=True)
        values = {
            "name": fields.text("name", required=True),
            "description": fields.text("description"),
            "nav_position": fields.integer("nav_position"),
            "is_homepage": fields.boolean("is_homepage"),
        }
        fields.done()
        known = self.feeds.get(slug)
        if values["is_homepage"] and not (known and known[1] == values):
            other = Feed.objects.filter(is_homepage=True).exclude(slug=slug).first()
            if other:
                raise DocumentError(
                    fields.at("is_homepage"),
                    f"the feed {other.slug!r} is already the home page feed",
                )
        return self._upsert(self.feeds, Feed, {"slug": slug}, values, fields.where)

    def _upsert(self, seen, model, key, values, where, *, thorough=True, new_rows=None):
        """Create or update a shared row (outlet, feed, article), once per run per value.

        thorough=False skips the uniqueness, CHECK and foreign key queries, for rows whose
        only unique field is the key just looked up, whose checks field validation already
        covers, and whose related rows were just written. A new row is appended to
        `new_rows`, when given, for the caller to insert with the others in one query.
        """
        ident = next(iter(key.values()))
        cached = seen.get(ident)
        if cached is not None and cached[1] == values:
            return cached[0]
        if ident in self.looked_up:
            instance = self.looked_up.pop(ident) or model(**key)
        else:
            instance = model.objects.filter(**key).first() or model(**key)
        changed = instance.pk is None
        for name, value in values.items():
            if getattr(instance, name, None) != value:
                setattr(instance, name, value)
                changed = True
        if changed:
            related = [f.name for f in model._meta.fields if f.is_relation and f.name in values]
            validate(instance, where, thorough=thorough, exclude=() if thorough else related)
            if instance.pk is None and new_rows is not None:
                new_rows.append(instance)
            else:
                instance.save()
            self.shared_written.append(instance)
        seen[ident] = (instance, values)
        return instance

    def _article(self, fields, outlets, new_rows=None):
        url = fields.text("url", required=True)
        outlet_slug = fields.text("outlet", required=True)
        if outlet_slug not in outlets:
            known = ", ".join(sorted(outlets)) or "none"
            raise DocumentError(
                fields.at("outlet"),
                f"unknown outlet {outlet_slug!r} (outlets in this document: {known})",
            )
        values = {
            "outlet": outlets[outlet_slug],
            "title": fields.text("title", required=True),
            "author": fields.text("author"),
            "published_at": fields.datetime("published_at"),
        }
        # The URL is the key looked up; the title is required, so stripped and not blank; the
        # URL field accepts http(s) only: the database checks would find nothing more.
        return self._upsert(
            self.articles,
            Article,
            {"url": url},
            values,
            fields.where,
            thorough=False,
            new_rows=new_rows,
        )

    def _hero_image(self, fields, story):
        image = HeroImage(
            story=story,
            image=fields.text("image"),
            image_url=fields.text("image_url"),
            alt_text=fields.text("alt_text", required=True),
            caption=fields.text("caption"),
            credit=fields.text("credit"),
            source_name=fields.text("source_name"),
            source_url=fields.text("source_url"),
            full_size_url=fields.text("full_size_url"),
        )
        fields.done()
        if image.image and not media_file_exists(image.image.name):
            raise DocumentError(
                fields.at("image"), f"no uploaded file {image.image.name!r} in media"
            )
        if not image.image and not image.image_url:
            raise DocumentError(fields.where, "give an image (an uploaded file) or an image_url")
        validate(image, fields.where, exclude=["story"])
        image.save(force_insert=True)  # the story's items were just deleted, if it had any

    def _look_up_articles(self, items):
        """Fetch the articles a list of items names in one query, ahead of _article()."""
        urls = {
            item["url"].strip()
            for _, item in items
            if isinstance(item, dict) and isinstance(item.get("url"), str)
        } - self.articles.keys()
        self.looked_up = dict.fromkeys(urls) | Article.objects.in_bulk(urls, field_name="url")

    def _sources(self, items, story, outlets):
        self._look_up_articles(items)
        sources, seen, new_articles = [], {}, []
        for position, (where, item) in enumerate(items, start=1):
            fields = Fields(item, where)
            article = self._article(fields, outlets, new_articles)
            fields.done()
            if article.url in seen:
                raise DocumentError(f"{where}.url", f"the same article as {seen[article.url]}")
            seen[article.url] = where
            sources.append(Source(story=story, article=article, position=position))
        # New articles are shown nowhere yet: one insert, without signals, for them all.
        Article.objects.bulk_create(new_articles)
        return Source.objects.bulk_create(sources)

    def _citations(self, fields, sources, where_kind):
        cited = []
        for where, number in fields.items("cites"):
            if not isinstance(number, int) or isinstance(number, bool):
                raise DocumentError(
                    where, f"a citation is a source number, got {type_name(number)}"
                )
            if not 1 <= number <= len(sources):
                raise DocumentError(
                    where,
                    f"cites source [{number}], but the story has {len(sources)} source"
                    f"{'' if len(sources) == 1 else 's'}",
                )
            if sources[number - 1] in cited:
                raise DocumentError(where, f"the {where_kind} cites source [{number}] twice")
            cited.append(sources[number - 1])
        return cited

    def _key_points(self, items, story, sources):
        key_points, cited = [], []
        for position, (where, item) in enumerate(items, start=1):
            fields = Fields(item, where)
            key_point = KeyPoint(
                story=story,
                position=position,
                heading=fields.text("heading", required=True),
                body=fields.text("body", required=True),
            )
            cited.append(self._citations(fields, sources, "key point"))
            fields.done()
            validate(key_point, where, exclude=["story"])
            key_point.render()
            key_points.append(key_point)
        KeyPoint.objects.bulk_create(key_points)
        KeyPointCitation.objects.bulk_create(
            KeyPointCitation(key_point=kp, source=source)
            for kp, sources_cited in zip(key_points, cited, strict=True)
            for source in sources_cited
        )

    def _simple_items(self, items, story, model, build):
        instances = []
        for position, (where, item) in enumerate(items, start=1):
            fields = Fields(item, where)
            instance = build(fields)
            fields.done()
            instance.story, instance.position = story, position
            validate(instance, where, exclude=["story"])
            instances.append(instance)
        model.objects.bulk_create(instances)

    def _video(self, fields):
        given = fields.get("duration", (str, int))
        try:
            duration = parse_video_duration(given)
        except (ValueError, OverflowError) as exc:
            raise DocumentError(
                fields.at("duration"), f"{given!r} is not a duration like 00:02:30"
            ) from exc
        return Video(
            title=fields.text("title", required=True),
            url=fields.text("url", required=True),
            provider=fields.text("provider") or Video.Provider.OTHER,
            thumbnail_url=fields.text("thumbnail_url"),
            duration=duration,
        )

    def _resource(self, fields):
        return ExternalResource(
            title=fields.text("title", required=True),
            url=fields.text("url", required=True),
            description=fields.text("description"),
        )

    def _notes(self, items, story):
        notes = []
        for where, item in items:
            fields = Fields(item, where)
            note = StoryNote(
                story=story,
                kind=fields.text("kind") or StoryNote.Kind.UPDATE,
                text=fields.text("text", required=True),
                created_at=fields.datetime("created_at", required=True),
            )
            fields.done()
            validate(note, where, exclude=["story"])
            notes.append(note)
        StoryNote.objects.bulk_create(notes)

    def _timeline(self, fields, entries_context):
        """First pass (entries_context None): the timeline row. Second pass: its entries."""
        slug = fields.text("slug", required=True)
        if entries_context is None:
            values = {
                "title": fields.text("title", required=True),
                "description": fields.text("description"),
            }
            fields.get("entries", list)  # read in the second pass, once sources exist
            fields.done()
            # The slug is the key looked up, the title required text: no constraint queries.
            return self._upsert({}, Timeline, {"slug": slug}, values, fields.where, thorough=False)

        timeline, sources, outlets = entries_context
        TimelineEntry.objects.filter(timeline=timeline).delete()
        entries, cited = [], []
        for position, (where, item) in enumerate(fields.items("entries"), start=1):
            entry_fields = Fields(item, where)
            date, precision = parse_entry_date(
                entry_fields.get("date", (str, int, dt.date), required=True),
                entry_fields.at("date"),
            )
            given = entry_fields.text("precision")
            if given == TimelineEntry.Precision.FUTURE:
                precision = given
            elif given and given != precision:
                raise DocumentError(
                    entry_fields.at("precision"),
                    f"{given!r} does not match the date (write the date as 2016, 2025-10 or "
                    "2025-12-11; only 'future' is given separately)",
                )
            entry = TimelineEntry(
                timeline=timeline,
                position=position,
                date=date,
                precision=precision,
                text=entry_fields.text("text", required=True),
            )
            articles = [
                source.article for source in self._citations(entry_fields, sources, "entry")
            ]
            for extra_where, extra in entry_fields.items("cites_articles"):
                extra_fields = Fields(extra, extra_where)
                article = self._article(extra_fields, outlets)
                extra_fields.done()
                if article in articles:
                    raise DocumentError(extra_where, "the entry already cites this article")
                articles.append(article)
            entry_fields.done()
            validate(entry, where, exclude=["timeline"])
            entry.render()
            entries.append(entry)
            cited.append(articles)
        TimelineEntry.objects.bulk_create(entries)
        EntryCitation.objects.bulk_create(
            EntryCitation(entry=entry, article=article)
            for entry, articles in zip(entries, cited, strict=True)
            for article in articles
        )
        return timeline


def record_revisions(written, batch_size=200):
    """Keep each loaded story (with its timeline, and the outlets, feeds and articles its
    file changed) in History as a revision naming the file, as an admin save is kept: one
    answer to "who changed this and when"."""
    for start in range(0, len(written), batch_size):
        batch = written[start : start + batch_size]
        # Everything a revision holds, a query a relation; what citations name (their
        # source's or article's outlet and title) is joined from what is read already.
        stories = (
            Story.objects.select_related("hero_image")
            .prefetch_related(
                "feeds",
                "sources__article__outlet",
                "key_points__citation_links",
                "videos",
                "resources",
                "notes",
            )
            .in_bulk([story_id for story_id, _, _ in batch])
        )
        timelines = Timeline.objects.prefetch_related("entries__citation_links").in_bulk(
            {story.timeline_id for story in stories.values()} - {None}
        )
        sources = {
            source.pk: source for story in stories.values() for source in story.sources.all()
        }
        articles = {source.article_id: source.article for source in sources.values()}
        entry_links = [
            link
            for timeline in timelines.values()
            for entry in timeline.entries.all()
            for link in entry.citation_links.all()
        ]
        missing = {link.article_id for link in entry_links} - set(articles)
        articles |= Article.objects.select_related("outlet").in_bulk(missing)
        for story in stories.values():
            for point in story.key_points.all():
                for link in point.citation_links.all():
                    link.source = sources[link.source_id]
        for link in entry_links:
            link.article = articles[link.article_id]
        history.record(
            [
                (
                    f"Loaded from {origin} (load_stories)",
                    [stories[story_id], timelines.get(stories[story_id].timeline_id), *shared],
                )
                for story_id, origin, shared in batch
            ]
        )


def load_documents(documents):
    """Load (origin, data) pairs atomically; returns {origin: outcome}.

    Raises DocumentError with the origin prefixed; nothing is written then.
    """
    loader, results = Loader(), {}
    # Pages are rebuilt once, at the end: a timeline or feed shared by many stories once.
    with transaction.atomic(), derived.batch():
        for origin, data in documents:
            try:
                results[origin] = loader.load(data, origin)
            except DocumentError as exc:
                raise DocumentError(
                    f"{origin}: {exc.where}" if exc.where else origin, exc.message
                ) from exc
            except DatabaseError as exc:  # a constraint, or a value the database cannot store
                raise DocumentError(origin, f"the database refused the document: {exc}") from exc
        record_revisions(loader.written)
    return results


# --- Writing a document --------------------------------------------------------------------


def iso(value):
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def clean(mapping):
    """Leave out empty optional fields, so that dumped files read like hand-written ones."""
    return {key: value for key, value in mapping.items() if value not in ("", None, [])}


def stories_for_dump():
    return Story.objects.select_related("hero_image", "timeline").prefetch_related(
        "feeds",
        "sources__article__outlet",
        "key_points__citation_links",
        "videos",
        "resources",
        "notes",
        "timeline__entries__citation_links__article__outlet",
    )


def dump_story(story):
    story = stories_for_dump().get(pk=story.pk)
    sources = list(story.sources.all())
    numbers = {source.pk: n for n, source in enumerate(sources, start=1)}
    by_article = {source.article_id: n for n, source in enumerate(sources, start=1)}
    outlets = {}

    def article_doc(article):
        outlets[article.outlet.slug] = clean(
            {
                "slug": article.outlet.slug,
                "name": article.outlet.name,
                "website": article.outlet.website,
            }
        )
        return clean(
            {
                "url": article.url,
                "outlet": article.outlet.slug,
                "title": article.title,
                "author": article.author,
                "published_at": iso(article.published_at),
            }
        )

    document = {
        "slug": story.slug,
        "headline": story.headline,
        "summary": story.summary,
        "status": story.status,
        "published_at": iso(story.published_at),
        "updated_at": iso(story.updated_at),
        "feeds": [
            clean(
                {
                    "slug": feed.slug,
                    "name": feed.name,
                    "description": feed.description,
                    "nav_position": feed.nav_position,
                    "is_homepage": feed.is_homepage or None,
                }
            )
            for feed in sorted(story.feeds.all(), key=lambda feed: feed.slug)
        ],
    }
    hero = getattr(story, "hero_image", None)
    if hero is not None:
        document["hero_image"] = clean(
            {
                "image": hero.image.name,
                "image_url": hero.image_url,
                "alt_text": hero.alt_text,
                "caption": hero.caption,
                "credit": hero.credit,
                "source_name": hero.source_name,
                "source_url": hero.source_url,
                "full_size_url": hero.full_size_url,
            }
        )
    document["outlets"] = []  # filled in below, once every cited article is known
    document["sources"] = [article_doc(source.article) for source in sources]
    document["key_points"] = [
        {
            "heading": kp.heading,
            "body": kp.body,
            "cites": sorted(numbers[link.source_id] for link in kp.citation_links.all()),
        }
        for kp in story.key_points.all()
    ]
    document["videos"] = [
        clean(
            {
                "title": video.title,
                "url": video.url,
                "provider": video.provider,
                "thumbnail_url": video.thumbnail_url,
                "duration": str(video.duration) if video.duration is not None else None,
            }
        )
        for video in story.videos.all()
    ]
    document["resources"] = [
        clean({"title": r.title, "url": r.url, "description": r.description})
        for r in story.resources.all()
    ]
    document["notes"] = [
        {"kind": note.kind, "text": note.text, "created_at": iso(note.created_at)}
        for note in sorted(story.notes.all(), key=lambda note: (note.created_at, note.pk))
    ]
    if story.timeline is not None:
        entries = []
        for entry in story.timeline.entries.all():
            links = entry.citation_links.all()
            entry_doc = {"date": format_entry_date(entry)}
            if entry.precision == TimelineEntry.Precision.FUTURE:
                entry_doc["precision"] = entry.precision
            entry_doc["text"] = entry.text
            entry_doc["cites"] = sorted(
                by_article[link.article_id] for link in links if link.article_id in by_article
            )
            entry_doc["cites_articles"] = [
                article_doc(link.article) for link in links if link.article_id not in by_article
            ]
            entries.append(clean(entry_doc))
        document["timeline"] = clean(
            {
                "slug": story.timeline.slug,
                "title": story.timeline.title,
                "description": story.timeline.description,
                "entries": entries,
            }
        )
    document["outlets"] = [outlets[slug] for slug in sorted(outlets)]
    return clean(document)
