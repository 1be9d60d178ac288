"""Story documents: the human-editable YAML/JSON files in fixtures/, read and written.

Their format is declared once, in stories.schema; this module moves documents between files,
that schema and the database:

- read_file() parses a file (syntax errors with their line; the limits first); read_stories()
  reads and validates many, in worker processes that run ahead of the writer;
- load_documents() validates documents against the schema and writes them, in batches of
  bulk reads and writes, with their History revisions;
- document_of() builds the same schema model from the database: dump_story() writes it out,
  and the loader compares it with a file's, so a story is "unchanged" exactly when its file
  says nothing the database does not already hold.
"""

import functools
import itertools
import json
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import yaml
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from PIL import Image
from pydantic import BaseModel

from newsroom import derived, history
from timelines.models import EntryCitation, Timeline, TimelineEntry

from . import limits, markdown, schema
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
from .renditions import measure

SUFFIXES = {".yaml", ".yml", ".json"}
# A hero image shipped beside its story file (image: images/photo.jpg).
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
# libyaml's parser and emitter when PyYAML was built with them: about ten times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Stories written per round of bulk queries: large enough that each query does a lot,
# small enough that the progress bar moves.
BATCH = 100
# Files a reading process is given at a time (read_stories).
READ_CHUNK = 8


class DocumentError(Exception):
    """A problem in a document, with the place it was found ("sources[3].url")."""

    def __init__(self, where, message):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)

    def at(self, origin):
        """The same problem, with the file it is in."""
        return DocumentError(f"{origin}: {self.where}" if self.where else origin, self.message)

    def __reduce__(self):  # raised in a reading process, re-raised in the loader's
        return DocumentError, (self.where, self.message)


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


def read_story(path):
    """The schema.Story of a story file; DocumentError, naming the file, if it is none."""
    try:
        return parse(read_file(path))
    except DocumentError as exc:
        raise exc.at(str(path)) from None


@contextmanager
def read_stories(paths, workers=0):
    """(origin, schema.Story) of each file, in order, raising DocumentError at the first
    that is not a story.

    With `workers`, the files are read and validated in that many processes, which run
    ahead of the caller: a load writes the stories already read while the next are parsed.
    Reading YAML, validating it and rendering its Markdown is a third of a load's work and
    needs nothing of the database. The processes start here, before the caller starts any
    thread.
    """
    paths = [Path(path) for path in paths]
    if workers < 1 or len(paths) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield ((str(path), read_story(path)) for path in paths)
        return
    # fork: the processes share the loaded code and read no setting again; they never
    # touch the database connection they inherit.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        read = pool.map(_read_ahead, paths, chunksize=READ_CHUNK)
        yield _taken_ahead(paths, read)
    finally:
        pool.shutdown(cancel_futures=True)
        markdown.forget_ahead()


def _read_ahead(path):
    """In a reading process: a file's story and its Markdown, rendered."""
    story = read_story(path)
    return story, markdown.render_ahead(schema.markdown_texts(story))


def _taken_ahead(paths, read):
    for path, (story, rendered) in zip(paths, read, strict=True):
        markdown.rendered_ahead(rendered)  # as each story is taken: a batch's texts at most
        yield str(path), story


def reading_workers(files):
    """How many processes read `files` by default: one per spare CPU (a few at most), none
    for a handful of files, which one process reads faster than it could start another."""
    if files < 4 * READ_CHUNK:
        return 0
    return min(3, len(os.sched_getaffinity(0)) - 1)


def write_file(path, document):
    """Write a document (a schema.Story, or what its dump() gives) as YAML."""
    if isinstance(document, schema.Story):
        document = document.dump()
    Path(path).write_text(
        yaml.dump(document, Dumper=YAML_DUMPER, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )


def parse(data):
    """The schema.Story of a parsed file; DocumentError at the first problem's place."""
    try:
        return schema.parse(data)
    except schema.Invalid as exc:
        more = f" (and {exc.more} more problem{'s' if exc.more > 1 else ''})" if exc.more else ""
        raise DocumentError(exc.where, exc.message + more) from None


def parse_entry_date(value, where):
    """(date, precision) of an entry's date; DocumentError at `where` if it is none."""
    try:
        return schema.parse_entry_date(value)
    except ValueError:
        message = f"{value!r} is not a date such as 2016, 2025-10 or 2025-12-11"
        raise DocumentError(where, message) from None


def columns(part, **values):
    """A document part's plain fields, by name, as its database row takes them: a field the
    row does not have fails at once, never silently."""
    return part.model_dump(include=scalar_fields(type(part))) | values


@functools.cache
def scalar_fields(model):
    """The fields of a schema model that hold a value, not parts or lists of them."""
    return {
        name
        for name, field in model.model_fields.items()
        if not any(
            isinstance(kind, type) and issubclass(kind, BaseModel | list)
            for kind in (field.annotation, getattr(field.annotation, "__origin__", None))
        )
        and not _holds_a_part(field.annotation)
    }


def _holds_a_part(annotation):
    return any(
        isinstance(kind, type) and issubclass(kind, BaseModel)
        for kind in getattr(annotation, "__args__", ())
    )


# --- The database as a document ---------------------------------------------------------------


def stories_for_dump():
    """Stories with everything document_of() reads, a query a relation."""
    return Story.objects.select_related("hero_image", "timeline").prefetch_related(
        "feeds",
        "sources__article__outlet",
        "key_points__citation_links",
        "videos",
        "resources",
        "notes",
        "timeline__entries__citation_links__article__outlet",
    )


def document_of(story):
    """The schema.Story the database holds for `story` (read through stories_for_dump())."""
    sources = list(story.sources.all())
    number_of_source = {source.pk: n for n, source in enumerate(sources, start=1)}
    number_of_article = {source.article_id: n for n, source in enumerate(sources, start=1)}
    articles = [source.article for source in sources]
    timeline = None
    if story.timeline is not None:
        entries = []
        for entry in story.timeline.entries.all():
            links = entry.citation_links.all()
            extras = [link.article for link in links if link.article_id not in number_of_article]
            articles += extras
            entries.append(
                schema.Entry.of(
                    entry,
                    date=schema.format_entry_date(entry.date, entry.precision),
                    precision=schema.FUTURE if entry.is_future else None,
                    cites=[
                        number_of_article[link.article_id]
                        for link in links
                        if link.article_id in number_of_article
                    ],
                    cites_articles=[schema.Article.of(article) for article in extras],
                )
            )
        timeline = schema.Timeline.of(story.timeline, entries=entries)
    hero = getattr(story, "hero_image", None)
    outlets = {article.outlet.slug: article.outlet for article in articles}
    notes = sorted(story.notes.all(), key=lambda note: (note.created_at, note.pk))
    return schema.Story.of(
        story,
        feeds=[schema.Feed.of(feed) for feed in story.feeds.all()],
        hero_image=schema.HeroImage.of(hero) if hero is not None else None,
        outlets=[schema.Outlet.of(outlet) for outlet in outlets.values()],
        sources=[schema.Article.of(article) for article in articles[: len(sources)]],
        key_points=[
            schema.KeyPoint.of(
                point,
                cites=[number_of_source[link.source_id] for link in point.citation_links.all()],
            )
            for point in story.key_points.all()
        ],
        videos=[schema.Video.of(video) for video in story.videos.all()],
        resources=[schema.Resource.of(resource) for resource in story.resources.all()],
        notes=[schema.Note.of(note) for note in notes],
        timeline=timeline,
    )


def dump_story(story):
    """The document of one story, as its file holds it."""
    return document_of(stories_for_dump().get(pk=story.pk)).dump()


def documents_of(stories, chunk_size=200):
    """(story, schema.Story) for each of `stories`, read a chunk at a time."""
    for story in stories_for_dump().filter(pk__in=stories.values("pk")).iterator(chunk_size):
        yield story, document_of(story)


# --- Loading -----------------------------------------------------------------------------------


def load_documents(documents, progress=None):
    """Load (origin, data) pairs atomically, where data is a parsed file or a schema.Story;
    returns {origin: outcome}, where an outcome is "created", "updated" or "unchanged".
    progress(n), if given, hears of every n stories written.

    Documents are taken a batch at a time, so that the reading of the next overlaps the
    writing of these (read_stories). Raises DocumentError with the origin prefixed; nothing
    is written then.
    """
    loader = Loader()
    together = Together()
    # Pages are rebuilt once, at the end: a timeline or feed shared by many stories once.
    with transaction.atomic(), derived.batch():
        for batch in itertools.batched(validated(documents), BATCH):
            together.check(batch)
            try:
                loader.load(batch)
            except DatabaseError as exc:  # a constraint, or a value the database cannot store
                names = batch[0][0] if len(batch) == 1 else f"{batch[0][0]} … {batch[-1][0]}"
                raise DocumentError(names, f"the database refused the documents: {exc}") from exc
            if progress is not None:
                progress(len(batch))
    return loader.results


def validated(documents):
    """(origin, schema.Story) of (origin, parsed file or schema.Story) pairs."""
    for origin, data in documents:
        if isinstance(data, schema.Story):
            yield origin, data
            continue
        try:
            yield origin, parse(data)
        except DocumentError as exc:
            raise exc.at(origin) from exc


class Together:
    """What no one document can check: one file per story, and every row that documents
    share (feed, outlet, article, timeline) described alike in each. Documents are checked
    a batch at a time, each against all that came before."""

    def __init__(self):
        self.first = {}  # (kind, key): (origin, content) where it was first described

    def check(self, stories):
        first = self.first
        for origin, story in stories:
            seen_in = first.setdefault(("story", story.slug), origin)
            if seen_in != origin:
                raise DocumentError(
                    f"{origin}: slug", f"{story.slug!r} is also the slug of the story in {seen_in}"
                )
            for where, kind, key, value in shared_rows(story):
                seen_in, seen = first.setdefault((kind, key), (origin, value))
                if seen != value:
                    raise DocumentError(
                        f"{origin}: {where}",
                        f"{kind} {key!r} differs from the same {kind} in {seen_in}: "
                        "give it the same details in every file",
                    )


def shared_rows(story):
    """(place, kind, key, content) of each shared row a document describes."""
    for i, feed in enumerate(story.feeds):
        yield f"feeds[{i}]", "feed", feed.slug, feed
    for i, outlet in enumerate(story.outlets):
        yield f"outlets[{i}]", "outlet", outlet.slug, outlet
    for where, article in story.articles_with_places():
        yield schema.where_of(where), "article", article.url, article
    if story.timeline is not None:
        yield "timeline", "timeline", story.timeline.slug, timeline_content(story)


def timeline_content(story):
    """A story's timeline in terms that do not depend on the story: cited URLs, not numbers."""
    timeline = story.timeline
    entries = [
        (*entry.stored_date, entry.text, tuple(urls))
        for entry, urls in zip(timeline.entries, story.entry_citations(), strict=True)
    ]
    return (timeline.title, timeline.description, tuple(entries))


def stored_timeline_content(timeline):
    """timeline_content() of a timeline as the database holds it (entries prefetched)."""
    entries = [
        (
            entry.date,
            entry.precision,
            entry.is_future,
            entry.text,
            tuple(sorted(link.article.url for link in entry.citation_links.all())),
        )
        for entry in timeline.entries.all()
    ]
    return (timeline.title, timeline.description, tuple(entries))


def image_beside(origin, place, name):
    """The picture `name` beside the story file `origin`, when the file ships it there; None
    when there is none (the name is then a file already in media). It must be a picture:
    a story file never copies any other file into media, which readers can fetch. (The
    schema keeps the path inside the story file's folder.)"""
    folder = Path(origin).parent
    path = folder / name
    if not folder.is_dir() or not path.is_file():
        return None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise DocumentError(place, f"{name!r} is not an image (.jpg, .jpeg, .png, .webp or .gif)")
    if path.stat().st_size > limits.MAX_IMAGE_BYTES:
        raise DocumentError(
            place,
            f"{name!r} is over the limit of {limits.MAX_IMAGE_BYTES:,} bytes for an image "
            "(stories.limits.MAX_IMAGE_BYTES)",
        )
    try:
        with Image.open(path) as picture:
            picture.verify()
    except Exception:  # Pillow raises many kinds for a file that is no picture
        raise DocumentError(place, f"{name!r} is not an image Pillow can read") from None
    return path


def put_image(place, name, path):
    """Put a shipped picture into media under its name (a name media holds already must hold
    the same picture: a changed one takes a new name). Files are not transactional: one put
    by a load that fails stays in media, unused."""
    if not media_file_exists(name):
        with path.open("rb") as source:
            saved = default_storage.save(name, File(source))
        if saved != name:  # another load put a file there meanwhile: checked below
            default_storage.delete(saved)
    with default_storage.open(name) as stored:
        if stored.read() != path.read_bytes():
            raise DocumentError(
                place,
                f"{name!r} differs from the file media holds under that name: "
                "give the changed image a new name",
            )


def write_images(folder, document):
    """Copy the uploaded files a document names into `folder`, under their media names,
    where load_stories reads them back (dump_stories)."""
    for _, name in schema.media_files(document):
        target = Path(folder) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)


def measured(video):
    """A video with its still's size, as its save() measures it."""
    video.thumbnail_width, video.thumbnail_height = measure(video.thumbnail)
    return video


def media_file_exists(name):
    try:
        return default_storage.exists(name)
    except SuspiciousFileOperation:  # a path outside MEDIA_ROOT
        return False


class Loader:
    """Writes validated documents, a batch at a time; remembers shared rows across batches."""

    def __init__(self):
        # Shared rows already written or found as the documents say, by their key.
        self.known = {Feed: {}, Outlet: {}, Article: {}, Timeline: {}}
        self.results = {}

    def load(self, batch):
        batch = self._with_known_outlets(batch)
        self._put_images(batch)
        stored = {
            story.slug: story
            for story in stories_for_dump().filter(slug__in=[story.slug for _, story in batch])
        }
        changed = []
        for origin, document in batch:
            story = stored.get(document.slug)
            if story is not None and document_of(story) == document:
                self.results[origin] = "unchanged"
            else:
                self.results[origin] = "updated" if story is not None else "created"
                changed.append((origin, document, story))
        if changed:
            Writer(self, changed).write()

    def _put_images(self, batch):
        """The pictures story files ship beside them, put into media; every file a document
        names must then be there."""
        for origin, document in batch:
            try:
                for place, name in schema.media_files(document):
                    path = image_beside(origin, place, name)
                    if path is not None:
                        put_image(place, name, path)
                    elif not media_file_exists(name):
                        raise DocumentError(
                            place, f"no file {name!r} beside the story file or uploaded in media"
                        )
            except DocumentError as exc:
                raise exc.at(origin) from None

    def _with_known_outlets(self, batch):
        """Documents naming a new outlet slug for an outlet the newsroom has under another
        name its case only differs from ("bbc" is "BBC"), rewritten to name that outlet."""
        slugs = {o.slug for _, story in batch for o in story.outlets} - self.known[Outlet].keys()
        if not slugs:
            return batch
        stored = set(Outlet.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        new = {o.slug: o for _, story in batch for o in story.outlets if o.slug in slugs - stored}
        if not new:
            return batch
        names = {outlet.name.strip().lower() for outlet in new.values()}
        same_name = {
            outlet.name_key: outlet
            for outlet in Outlet.objects.annotate(name_key=Lower(Trim("name"))).filter(
                name_key__in=names
            )
        }
        renamed = {
            slug: same_name[outlet.name.strip().lower()]
            for slug, outlet in new.items()
            if outlet.name.strip().lower() in same_name
        }
        if not renamed:
            return batch
        return [
            (origin, renaming_outlets(story, renamed) if story.outlets else story)
            for origin, story in batch
        ]


def renaming_outlets(story, renamed):
    """The document with outlets `renamed` ({its slug: stored Outlet}) named as stored."""
    if not any(outlet.slug in renamed for outlet in story.outlets):
        return story
    data = story.model_dump()
    for outlet in data["outlets"]:
        if outlet["slug"] in renamed:
            outlet.update(schema.Outlet.of(renamed[outlet["slug"]]).model_dump())
    articles = [*data["sources"]]
    for entry in (data["timeline"] or {}).get("entries", []):
        articles += entry["cites_articles"]
    for article in articles:
        if article["outlet"] in renamed:
            article["outlet"] = renamed[article["outlet"]].slug
    return schema.Story.model_validate(data)


class Writer:
    """One batch of changed documents written: shared rows, stories, their items, timelines,
    History. Bulk reads and writes throughout: a few dozen queries whatever the batch size."""

    def __init__(self, loader, changed):
        self.loader = loader
        self.changed = changed  # (origin, document, stored story or None)
        self.now = timezone.now()
        self.written = set()  # (model, pk) of shared rows created or updated
        # What History's revisions follow, as written: not read back (history.Followed).
        self.followed = history.Followed()
        self.updated_stories = []  # ids of stories that existed before

    def write(self):
        feeds = self._feeds()
        outlets = self._upsert(
            Outlet,
            "slug",
            {o.slug: columns(o) for _, d, _ in self.changed for o in d.outlets},
        )
        articles = self._upsert(
            Article,
            "url",
            {
                article.url: columns(article, outlet=outlets[article.outlet])
                for _, document, _ in self.changed
                for _, article in document.articles_with_places()
            },
            related=["outlet"],
        )
        timelines = self._upsert(
            Timeline,
            "slug",
            {
                d.timeline.slug: columns(d.timeline)
                for _, d, _ in self.changed
                if d.timeline is not None
            },
        )
        stories = self._stories(timelines)
        self._feed_memberships(stories, feeds)
        self._items(stories, articles)
        self._timeline_entries(timelines, articles)
        self._record(stories, feeds, outlets, articles, timelines)

    # Shared rows --------------------------------------------------------------------------

    def _feeds(self):
        wanted = {f.slug: columns(f) for _, d, _ in self.changed for f in d.feeds}
        homepages = [slug for slug, values in wanted.items() if values["is_homepage"]]
        if homepages:
            other = Feed.objects.filter(is_homepage=True).exclude(slug=homepages[0]).first()
            if other is not None or len(homepages) > 1:
                slug = homepages[0] if other is not None else homepages[1]
                other = other.slug if other is not None else homepages[0]
                origin, i = next(
                    (origin, i)
                    for origin, d, _ in self.changed
                    for i, feed in enumerate(d.feeds)
                    if feed.slug == slug
                )
                raise DocumentError(
                    f"{origin}: feeds[{i}].is_homepage",
                    f"the feed {other!r} is already the home page feed",
                )
        return self._upsert(Feed, "slug", wanted)

    def _upsert(self, model, key, wanted, related=()):
        """{key: row} for every key wanted, each row holding the values wanted: read in one
        query, created in one, updated in one. Rows found as wanted earlier in the load
        are not read again."""
        known = self.loader.known[model]
        # The key is looked up, not written: it is what makes the row this row.
        todo = {
            k: {name: value for name, value in values.items() if name != key}
            for k, values in wanted.items()
            if k not in known
        }
        rows = model.objects.all()
        if related:
            rows = rows.select_related(*related)
        rows = rows.in_bulk(list(todo), field_name=key)
        new, updated = [], []
        for k, values in todo.items():
            row = rows.get(k)
            if row is None:
                row = model(**{key: k}, **values)
                new.append(row)
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                updated.append(row)
            known[k] = row
        if updated:
            self._update(model, updated, list(next(iter(todo.values()))))
        model.objects.bulk_create(new)
        self.written.update((model, row.pk) for row in [*new, *updated])
        return {k: known[k] for k in wanted}

    def _update(self, model, rows, fields):
        """bulk_update, moving each row's version on as its save() would (Versioned), and
        its modification time (auto_now, which bulk_update leaves alone)."""
        stamped = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        versions = [row.version for row in rows]
        for row in rows:
            row.version = F("version") + 1
            for name in stamped:
                setattr(row, name, self.now)
        model.objects.bulk_update(rows, [*fields, "version", *stamped])
        for row, version in zip(rows, versions, strict=True):
            row.version = version + 1

    # Stories and their items -------------------------------------------------------------

    def _stories(self, timelines):
        new, updated, stories = [], [], []
        for _, document, story in self.changed:
            values = columns(
                document,
                timeline=timelines[document.timeline.slug] if document.timeline else None,
            )
            if story is None:
                story = Story(**values)
                new.append(story)
            else:
                for name, value in values.items():
                    setattr(story, name, value)
                updated.append(story)
            stories.append(story)
        if updated:
            self._update(Story, updated, list(values))
        Story.objects.bulk_create(new)
        self.updated_stories = [story.pk for story in updated]
        return stories

    def _feed_memberships(self, stories, feeds):
        """The stories' feeds (their listings follow, newsroom.derived)."""
        Membership = Story.feeds.through
        Membership.objects.filter(story__in=self.updated_stories).delete()
        memberships = []
        for story, (_, document, _) in zip(stories, self.changed, strict=True):
            story_feeds = [feeds[feed.slug] for feed in document.feeds]
            self.followed.set(story, "feeds", story_feeds)
            memberships += [Membership(story=story, feed=feed) for feed in story_feeds]
        Membership.objects.bulk_create(memberships)

    def _items(self, stories, articles):
        """Every item of each story, replaced wholesale: the document is the whole truth."""
        updated = self.updated_stories
        KeyPointCitation.objects.filter(key_point__story__in=updated).delete()
        for model in (KeyPoint, HeroImage, Source, Video, ExternalResource, StoryNote):
            model.objects.filter(story__in=updated).delete()
        images, sources, points, videos, resources, notes = [], [], [], [], [], []
        for story, (_, document, _) in zip(stories, self.changed, strict=True):
            image = None
            if document.hero_image is not None:
                image = HeroImage(story=story, **columns(document.hero_image))
                # Its size, as save() measures it: bulk_create() does not call save().
                image.width, image.height = measure(image.image)
                images.append(image)
            Story.hero_image.related.set_cached_value(story, image)
            story_sources = [
                Source(story=story, article=articles[article.url], position=position)
                for position, article in enumerate(document.sources, start=1)
            ]
            story_points = [
                KeyPoint(story=story, position=position, **columns(point))
                for position, point in enumerate(document.key_points, start=1)
            ]
            for point, given in zip(story_points, document.key_points, strict=True):
                point.cited = [story_sources[n - 1] for n in given.cites]
            items = {
                "sources": story_sources,
                "key_points": story_points,
                "videos": [
                    measured(Video(story=story, position=position, **columns(video)))
                    for position, video in enumerate(document.videos, start=1)
                ],
                "resources": [
                    ExternalResource(story=story, position=position, **columns(resource))
                    for position, resource in enumerate(document.resources, start=1)
                ],
                "notes": [StoryNote(story=story, **columns(note)) for note in document.notes],
            }
            for name, rows in items.items():
                self.followed.set(story, name, rows)
            sources += story_sources
            points += story_points
            videos += items["videos"]
            resources += items["resources"]
            notes += items["notes"]
        HeroImage.objects.bulk_create(images)
        Source.objects.bulk_create(sources)
        KeyPoint.objects.bulk_create(points)
        citations = []
        for point in points:
            links = [KeyPointCitation(key_point=point, source=source) for source in point.cited]
            self.followed.set(point, "citation_links", links)
            citations += links
        KeyPointCitation.objects.bulk_create(citations)
        Video.objects.bulk_create(videos)
        ExternalResource.objects.bulk_create(resources)
        StoryNote.objects.bulk_create(notes)

    def _timeline_entries(self, timelines, articles):
        """Rewrite the entries of each timeline whose documents say otherwise than the
        database (the derived-data seam hears of each write)."""
        wanted = {d.timeline.slug: timeline_content(d) for _, d, _ in self.changed if d.timeline}
        rows = {slug: timelines[slug] for slug in wanted}
        stored = Timeline.objects.filter(
            pk__in=[row.pk for row in rows.values()]
        ).prefetch_related("entries__citation_links__article__outlet")
        stored = {timeline.pk: timeline for timeline in stored}
        rewrite = []
        for slug, content in wanted.items():
            row = rows[slug]
            found = stored.get(row.pk)
            if found is not None and stored_timeline_content(found) == content:
                self.followed.set(row, "entries", list(found.entries.all()))
            else:
                rewrite.append((row, content))
        old = [row.pk for row, _ in rewrite]
        EntryCitation.objects.filter(entry__timeline__in=old).delete()
        TimelineEntry.objects.filter(timeline__in=old).delete()
        entries = []
        for row, content in rewrite:
            rows_of_timeline = []
            for position, (date, precision, future, text, urls) in enumerate(content[2], 1):
                new = TimelineEntry(
                    timeline=row,
                    position=position,
                    date=date,
                    precision=precision,
                    is_future=future,
                    text=text,
                )
                new.cited = [articles[url] for url in urls]
                rows_of_timeline.append(new)
            self.followed.set(row, "entries", rows_of_timeline)
            entries += rows_of_timeline
        TimelineEntry.objects.bulk_create(entries)
        citations = []
        for entry in entries:
            links = [EntryCitation(entry=entry, article=article) for article in entry.cited]
            self.followed.set(entry, "citation_links", links)
            citations += links
        EntryCitation.objects.bulk_create(citations)

    # Pages and History --------------------------------------------------------------------

    def _record(self, stories, feeds, outlets, articles, timelines):
        """A History revision per story, naming its file, with the shared rows its file
        created or changed (each row in the first revision that names it)."""
        claimed = set()
        revisions = []
        for story, (origin, document, _) in zip(stories, self.changed, strict=True):
            named = [
                *(feeds[f.slug] for f in document.feeds),
                *(outlets[o.slug] for o in document.outlets),
                *(articles[a.url] for _, a in document.articles_with_places()),
            ]
            shared = []
            for row in named:
                key = (type(row), row.pk)
                if key in self.written and key not in claimed:
                    claimed.add(key)
                    shared.append(row)
            timeline = timelines[document.timeline.slug] if document.timeline else None
            revisions.append((f"Loaded from {origin} (load_stories)", [story, timeline, *shared]))
        history.record(revisions, self.followed)
