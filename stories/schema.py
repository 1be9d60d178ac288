"""The story document, declared once: the format of the files in fixtures/ (README there).

`Story` and the models inside it are the whole format. Reading a file validates it here;
stories.documents writes the model to the database and builds the same model back from
it, to dump a story or to tell that a file changes nothing (the two models are equal). A
field declared here is therefore read, written, dumped and compared, or a test fails.

Lengths, choices and blank rules are read from the database models' own fields, so the
two cannot drift apart. Lists that carry no order in the database (feeds, outlets,
citations, notes) are kept sorted, so that equal content makes equal models.
`python manage.py story_schema` writes the JSON Schema published beside the fixtures.
"""

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from django.utils.dateparse import parse_datetime, parse_duration
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from timelines import models as timeline_models

from . import limits
from . import models as db
from .fields import LANGUAGE_TAG, HttpURLField

# C0 control characters other than tab, line feed and carriage return: invisible, invalid in
# XML feeds, and refused by PostgreSQL (NUL).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
URL_VALIDATOR = HttpURLField.default_validators[0]
# PositiveIntegerField's range on every database Django supports.
LARGEST_POSITION = 2_147_483_647
# A text the models render as Markdown, as JSON Schema says so (contentMediaType).
MARKDOWN = "text/markdown"
LONGEST_VIDEO = dt.timedelta(days=7)
Precision = timeline_models.TimelineEntry.Precision
# An entry's `precision` says "future" alone: the date says how precise it is.
FUTURE = "future"


def refuse(message):
    # No context: the message is shown as it is, braces in quoted input included.
    return PydanticCustomError("document", message)


def type_name(value):
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


# --- Values --------------------------------------------------------------------------------


def text(value):
    """Text as an editor means it: numbers are text too, surrounding spaces are not."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise refuse(f"expected text, got {type_name(value)}")
    value = str(value).strip()
    if CONTROL_CHARACTERS.search(value):
        raise refuse("contains a control character (only tabs and line breaks may be used)")
    return value


def url(value):
    value = text(value)
    if value:
        try:
            URL_VALIDATOR(value)
        except DjangoValidationError as exc:
            raise refuse(" ".join(exc.messages)) from None
    return value


def slug(value):
    value = text(value)
    try:
        validate_slug(value)
    except DjangoValidationError as exc:
        raise refuse(" ".join(exc.messages)) from None
    return value


def language(value):
    """A language tag (es, pt-BR, ar), or blank for the site's language."""
    value = text(value)
    if value and not re.fullmatch(LANGUAGE_TAG, value):
        raise refuse(f"{value!r} is not a language tag such as es, pt-BR or ar")
    return value


def media_path(value):
    """A file's path: beside the story file (images/photo.jpg), or already in media."""
    value = text(value)
    if value.startswith("/") or ".." in value.replace("\\", "/").split("/"):
        raise refuse(f"{value!r} must be a path inside the story file's folder")
    return value


def choice(value):
    """A choice's value; blank means the field's default (see column())."""
    return text(value) or None


def time(value):
    """An aware date and time, kept in UTC: YAML timestamps or ISO 8601 text."""
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise refuse(f"{value!r} is not a date and time such as 2026-02-03T21:30:00Z")
        value = parsed
    if not isinstance(value, dt.datetime):
        raise refuse(f"expected a date and time such as 2026-02-03T21:30:00Z, got {value!r}")
    if value.tzinfo is None:
        raise refuse("give a time zone, e.g. 2026-02-03T21:30:00Z")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise refuse(f"{value} is out of range") from None


def parse_entry_date(value):
    """'2016' → (2016-01-01, year), '2025-10' → month, '2025-12-11' → day; else ValueError."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value, Precision.DAY
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(value)
    text = str(value).strip()
    try:
        match text.count("-"):
            case 0:
                return dt.date(int(text), 1, 1), Precision.YEAR
            case 1:
                year, month = text.split("-")
                return dt.date(int(year), int(month), 1), Precision.MONTH
            case 2:
                return dt.date.fromisoformat(text), Precision.DAY
    except (ValueError, OverflowError):
        pass
    raise ValueError(value)


def format_entry_date(date, precision):
    match precision:
        case Precision.YEAR:
            return f"{date.year:04d}"
        case Precision.MONTH:
            return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def entry_date(value):
    """An entry's date in its one written form: 2016, 2025-10 or 2025-12-11."""
    try:
        return format_entry_date(*parse_entry_date(value))
    except ValueError:
        shown = str(value).strip() if isinstance(value, str | int) else value
        raise refuse(f"{shown!r} is not a date such as 2016, 2025-10 or 2025-12-11") from None


def duration(value):
    """Seconds, or text such as 00:02:30; up to a week, never negative."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, dt.timedelta):
            parsed = value
        elif isinstance(value, int) and not isinstance(value, bool):
            parsed = dt.timedelta(seconds=value)
        elif isinstance(value, str):
            parsed = parse_duration(value.strip())
        else:
            parsed = None
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None or not dt.timedelta(0) <= parsed <= LONGEST_VIDEO:
        raise refuse(f"{value!r} is not a duration like 00:02:30")
    return parsed


def whole_number(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(f"expected a whole number, got {type_name(value)}")
    return value


def cite(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(f"a citation is a source number, got {type_name(value)}")
    return value


def true_or_false(value):
    if not isinstance(value, bool):
        raise refuse(f"expected true or false, got {type_name(value)}")
    return value


Text = Annotated[str, BeforeValidator(text)]
Url = Annotated[
    str,
    BeforeValidator(url),
    WithJsonSchema({"type": "string", "pattern": "^(https?://.+)?$", "format": "uri"}),
]
Slug = Annotated[
    str, BeforeValidator(slug), WithJsonSchema({"type": "string", "pattern": r"^[-\w]+$"})
]
Time = Annotated[dt.datetime, BeforeValidator(time)]
MediaPath = Annotated[str, BeforeValidator(media_path)]
Language = Annotated[
    str,
    BeforeValidator(language),
    WithJsonSchema({"type": "string", "pattern": f"^$|{LANGUAGE_TAG}"}),
]
EntryDate = Annotated[
    str,
    BeforeValidator(entry_date),
    WithJsonSchema(
        {
            "type": ["string", "integer"],
            "pattern": r"^\d{1,4}(-\d{2}(-\d{2})?)?$",
            "examples": ["2016", "2025-10", "2025-12-11"],
        }
    ),
]
Duration = Annotated[
    dt.timedelta | None,
    BeforeValidator(duration),
    PlainSerializer(lambda value: None if value is None else str(value), when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "examples": ["00:02:30"]},
                {"type": "integer", "minimum": 0, "description": "seconds"},
            ]
        }
    ),
]
Position = Annotated[int, BeforeValidator(whole_number), Field(ge=0, le=LARGEST_POSITION)]
Cite = Annotated[int, BeforeValidator(cite), WithJsonSchema({"type": "integer", "minimum": 1})]
Flag = Annotated[bool, BeforeValidator(true_or_false)]


def column(model, name, **extra):
    """A document field mirroring a database column: its length, its blank rule, its help.

    A column that may be blank is optional here (missing means blank); one that may not is
    required and must hold more than white space. Text without a length of its own is held
    to stories.limits.MAX_TEXT_CHARACTERS.
    """
    field = model._meta.get_field(name)
    description = str(field.help_text or field.verbose_name)
    if field.choices:
        return Field(default=field.default, description=description, **extra)
    if field.get_internal_type() in ("PositiveIntegerField", "BooleanField"):
        return Field(default=field.default, description=description, **extra)
    if field.get_internal_type() in ("DateTimeField", "DurationField"):
        return Field(default=None, description=description, **extra)
    length = {"max_length": field.max_length or limits.MAX_TEXT_CHARACTERS}
    if name in getattr(model, "RENDERED_FIELDS", {}).values():  # the model renders it
        extra = {"json_schema_extra": {"contentMediaType": MARKDOWN}, **extra}
    if field.blank:
        return Field(default="", description=description, **length, **extra)
    return Field(description=description, min_length=1, **length, **extra)


def media_files(part, place=""):
    """(place, path) of every file a document names (hero_image.image, videos[0].thumbnail)."""
    for name, field in type(part).model_fields.items():
        value = getattr(part, name)
        where = f"{place}.{name}" if place else name
        if any(getattr(m, "func", None) is media_path for m in field.metadata):
            if value:
                yield where, value
        elif isinstance(value, BaseModel):
            yield from media_files(value, where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from media_files(item, f"{where}[{i}]")


def markdown_texts(part):
    """Every Markdown text in a document or part of one, as the models render them."""
    for name, field in type(part).model_fields.items():
        value = getattr(part, name)
        if isinstance(field.json_schema_extra, dict) and (
            field.json_schema_extra.get("contentMediaType") == MARKDOWN
        ):
            yield value
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                yield from markdown_texts(item)


def choices(model, name):
    """The Literal of a column's choices, a blank value standing for its default."""
    field = model._meta.get_field(name)
    values = tuple(value for value, _ in field.choices)
    return Annotated[
        Literal[values], BeforeValidator(lambda value: choice(value) or field.default)
    ]


# --- The document ----------------------------------------------------------------------------


class Part(BaseModel):
    """A mapping of the document: unknown keys are errors, and null is the same as absent."""

    model_config = ConfigDict(extra="forbid", validate_default=False)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data):
        if isinstance(data, dict):
            # An unknown key stays, null or not: it is still a mistake worth naming.
            return {
                key: value
                for key, value in data.items()
                if value is not None or key not in cls.model_fields
            }
        return data

    @classmethod
    def of(cls, row, **values):
        """This part as the database row holds it (values: fields named differently there)."""
        fields = {name: getattr(row, name) for name in cls.model_fields if name not in values}
        # A file field holds its name; the document, too.
        fields = {name: getattr(value, "name", value) for name, value in fields.items()}
        return cls.model_validate(fields | values)


class Feed(Part):
    """A feed the story is listed in; shared by every story naming its slug."""

    slug: Slug = column(db.Feed, "slug")
    name: Text = column(db.Feed, "name")
    description: Text = column(db.Feed, "description")
    nav_position: Position = column(db.Feed, "nav_position")
    is_homepage: Flag = column(db.Feed, "is_homepage")


class Outlet(Part):
    """A publisher the story's articles come from, named in them by its slug."""

    slug: Slug = column(db.Outlet, "slug")
    name: Text = column(db.Outlet, "name")
    website: Url = column(db.Outlet, "website")


class Article(Part):
    """An outlet's article: a numbered source of the story, or cited by a timeline entry."""

    url: Url = column(db.Article, "url")
    outlet: Slug = Field(description="the slug of one of the document's outlets")
    title: Text = column(db.Article, "title")
    author: Text = column(db.Article, "author")
    language: Language = column(db.Article, "language")
    published_at: Time | None = column(db.Article, "published_at")

    @classmethod
    def of(cls, row):
        return super().of(row, outlet=row.outlet.slug)


class HeroImage(Part):
    image: MediaPath = column(db.HeroImage, "image")
    image_url: Url = column(db.HeroImage, "image_url")
    alt_text: Text = column(db.HeroImage, "alt_text")
    caption: Text = column(db.HeroImage, "caption")
    credit: Text = column(db.HeroImage, "credit")
    source_name: Text = column(db.HeroImage, "source_name")
    source_url: Url = column(db.HeroImage, "source_url")
    full_size_url: Url = column(db.HeroImage, "full_size_url")

    @model_validator(mode="after")
    def _has_an_image(self):
        if not self.image and not self.image_url:
            raise refuse("give an image (an uploaded file) or an image_url")
        return self


class KeyPoint(Part):
    heading: Text = column(db.KeyPoint, "heading")
    body: Text = column(db.KeyPoint, "body")
    cites: list[Cite] = Field(
        default=[],
        max_length=limits.MAX_ITEMS,
        description="the numbers of the sources it cites: 1 is the first source",
    )


class Video(Part):
    title: Text = column(db.Video, "title")
    url: Url = column(db.Video, "url")
    provider: choices(db.Video, "provider") = column(db.Video, "provider")
    thumbnail: MediaPath = column(db.Video, "thumbnail")
    thumbnail_url: Url = column(db.Video, "thumbnail_url")
    duration: Duration = column(db.Video, "duration")


class Resource(Part):
    title: Text = column(db.ExternalResource, "title")
    url: Url = column(db.ExternalResource, "url")
    description: Text = column(db.ExternalResource, "description")


class Note(Part):
    """An update or a correction; notes are kept in time order."""

    kind: choices(db.StoryNote, "kind") = column(db.StoryNote, "kind")
    text: Text = column(db.StoryNote, "text")
    created_at: Time = Field(description="when it was written")


class Entry(Part):
    date: EntryDate = Field(description="2016 (a year), 2025-10 (a month) or 2025-12-11")
    precision: Literal[FUTURE, *Precision.values] | None = Field(
        default=None,
        description="given only for 'future' (after the date, at the date's precision); "
        "otherwise it follows the date",
    )
    text: Text = column(timeline_models.TimelineEntry, "text")
    cites: list[Cite] = Field(default=[], max_length=limits.MAX_ITEMS)
    cites_articles: list[Article] = Field(
        default=[],
        max_length=limits.MAX_ITEMS,
        description="articles cited that are not among the story's sources",
    )

    @model_validator(mode="after")
    def _precision_follows_the_date(self):
        _, shape = parse_entry_date(self.date)
        if self.precision == FUTURE:
            pass  # beyond the date, at the precision it is written with
        elif self.precision not in (None, shape):
            raise ValidationError.from_exception_data(
                "Entry",
                [
                    error(
                        ("precision",),
                        f"{self.precision!r} does not match the date (write the date as 2016, "
                        "2025-10 or 2025-12-11; only 'future' is given separately)",
                    )
                ],
            )
        else:
            self.precision = None
        return self

    @property
    def stored_date(self):
        """(date, precision, is_future) as the database keeps them."""
        date, shape = parse_entry_date(self.date)
        return date, shape, self.precision == FUTURE


class Timeline(Part):
    """A timeline; shared by every story naming its slug."""

    slug: Slug = column(timeline_models.Timeline, "slug")
    title: Text = column(timeline_models.Timeline, "title")
    description: Text = column(timeline_models.Timeline, "description")
    entries: list[Entry] = Field(default=[], max_length=limits.MAX_ITEMS)


def error(loc, message, value=None):
    return InitErrorDetails(type=refuse(message), loc=tuple(loc), input=value)


class Story(Part):
    """One story with everything its page shows."""

    model_config = ConfigDict(title="Story document")

    slug: Slug = column(db.Story, "slug")
    headline: Text = column(db.Story, "headline")
    byline: Text = column(db.Story, "byline")
    language: Language = column(db.Story, "language")
    summary: Text = column(db.Story, "summary")
    status: choices(db.Story, "status") = column(db.Story, "status")
    published_at: Time | None = column(db.Story, "published_at")
    updated_at: Time | None = column(db.Story, "updated_at")
    feeds: list[Feed] = Field(default=[], max_length=limits.MAX_ITEMS)
    hero_image: HeroImage | None = None
    outlets: list[Outlet] = Field(
        default=[], max_length=limits.MAX_ITEMS, description="every outlet the articles name"
    )
    sources: list[Article] = Field(
        default=[],
        max_length=limits.MAX_ITEMS,
        description="in order: the first is citation [1]",
    )
    key_points: list[KeyPoint] = Field(default=[], max_length=limits.MAX_ITEMS)
    videos: list[Video] = Field(default=[], max_length=limits.MAX_ITEMS)
    resources: list[Resource] = Field(default=[], max_length=limits.MAX_ITEMS)
    notes: list[Note] = Field(default=[], max_length=limits.MAX_ITEMS)
    timeline: Timeline | None = None

    @model_validator(mode="after")
    def _references_hold(self):
        """What one field cannot know alone: citations, outlets, items listed twice."""
        errors = [*self._story_errors(), *self._citation_errors(), *self._outlet_errors()]
        if errors:
            raise ValidationError.from_exception_data("Story", errors[:1])
        self._sort()
        return self

    def _story_errors(self):
        if self.status == db.Story.Status.PUBLISHED and self.published_at is None:
            yield error(["published_at"], "a published story needs its first-published time")
        seen = set()
        for i, feed in enumerate(self.feeds):
            if feed.slug in seen:
                yield error(["feeds", i, "slug"], f"feed {feed.slug!r} is listed twice")
            seen.add(feed.slug)

    def _citation_errors(self):
        count = len(self.sources)
        first_of = {}
        for i, source in enumerate(self.sources):
            if source.url in first_of:
                where = f"sources[{first_of[source.url]}]"
                yield error(["sources", i, "url"], f"the same article as {where}")
            first_of.setdefault(source.url, i)
        cited = [(["key_points", i], point.cites) for i, point in enumerate(self.key_points)]
        entries = self.timeline.entries if self.timeline else []
        cited += [(["timeline", "entries", i], entry.cites) for i, entry in enumerate(entries)]
        for where, cites in cited:
            kind = "key point" if where[0] == "key_points" else "entry"
            for j, number in enumerate(cites):
                if not 1 <= number <= count:
                    yield error(
                        [*where, "cites", j],
                        f"cites source [{number}], but the story has {count} source"
                        f"{'' if count == 1 else 's'}",
                        number,
                    )
                elif number in cites[:j]:
                    yield error([*where, "cites", j], f"the {kind} cites source [{number}] twice")
        extras = {}
        for i, entry in enumerate(entries):
            for j, article in enumerate(entry.cites_articles):
                where = ["timeline", "entries", i, "cites_articles", j]
                if article.url in first_of:
                    n = first_of[article.url] + 1
                    yield error([*where, "url"], f"this article is source [{n}]: cite it as {n}")
                elif article.url in [a.url for a in entry.cites_articles[:j]]:
                    yield error(where, "the entry already cites this article")
                elif extras.setdefault(article.url, (where, article))[1] != article:
                    first = where_of(extras[article.url][0])
                    yield error(where, f"the same article as {first}, with other details")

    def _outlet_errors(self):
        slugs = [outlet.slug for outlet in self.outlets]
        for i, outlet in enumerate(self.outlets):
            if outlet.slug in slugs[:i]:
                yield error(["outlets", i, "slug"], f"outlet {outlet.slug!r} is listed twice")
        known = ", ".join(sorted(slugs)) or "none"
        used = set()
        for where, article in self.articles_with_places():
            used.add(article.outlet)
            if article.outlet not in slugs:
                yield error(
                    [*where, "outlet"],
                    f"unknown outlet {article.outlet!r} (outlets in this document: {known})",
                )
        for i, outlet in enumerate(self.outlets):
            if outlet.slug not in used:
                # The database keeps outlets through their articles: an unused one would be
                # written, yet missing from every dump of the story.
                yield error(
                    ["outlets", i],
                    f"no source or cited article names outlet {outlet.slug!r}: remove it",
                )

    def articles_with_places(self):
        """(place, article) for every article the document names: sources, then extras."""
        for i, source in enumerate(self.sources):
            yield ["sources", i], source
        for i, entry in enumerate(self.timeline.entries if self.timeline else []):
            for j, article in enumerate(entry.cites_articles):
                yield ["timeline", "entries", i, "cites_articles", j], article

    def _sort(self):
        """Lists the database keeps no order of, in one order: equal content, equal models."""
        self.feeds.sort(key=lambda feed: feed.slug)
        self.outlets.sort(key=lambda outlet: outlet.slug)
        self.notes.sort(key=lambda note: note.created_at)  # stable: same times keep order
        for item in [*self.key_points, *(self.timeline.entries if self.timeline else [])]:
            item.cites.sort()
        for entry in self.timeline.entries if self.timeline else []:
            entry.cites_articles.sort(key=lambda article: article.url)
        # As Story.save() does: a published story's "Updated" time starts at publication.
        if self.status == db.Story.Status.PUBLISHED and self.updated_at is None:
            self.updated_at = self.published_at

    def dump(self):
        """The document as a file holds it: empty and default fields left out."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def entry_citations(self):
        """Per timeline entry, the URLs it cites (numbers resolved), sorted."""
        urls = [source.url for source in self.sources]
        return [
            sorted({*(urls[n - 1] for n in entry.cites), *(a.url for a in entry.cites_articles)})
            for entry in (self.timeline.entries if self.timeline else [])
        ]


def where_of(loc):
    """A pydantic location as the document's place: ("sources", 3, "url") → sources[3].url."""
    place = ""
    for part in loc:
        place += f"[{part}]" if isinstance(part, int) else f".{part}"
    return place.removeprefix(".")


MESSAGES = {
    "missing": "this field is required",
    "string_too_short": "must not be empty",
    "list_type": "expected list, got {kind}",
    "model_type": "expected a mapping, got {kind}",
    "model_attributes_type": "expected a mapping, got {kind}",
    "dict_type": "expected a mapping, got {kind}",
    "greater_than_equal": "must not be {ge} or more",
}


def message_of(error):
    """What went wrong, in the newsroom's words rather than pydantic's."""
    kind, ctx = error["type"], error.get("ctx", {})
    match kind:
        case "document":
            return error["msg"]
        case "extra_forbidden":
            return "unknown field"
        case "string_too_long":
            return (
                f"at most {ctx['max_length']:,} characters, this has {len(str(error['input'])):,}"
            )
        case "too_long":
            return f"at most {ctx['max_length']:,} items"
        case "literal_error":
            return f"Value {error['input']!r} is not a valid choice (choose {ctx['expected']})"
        case "greater_than_equal":
            return "must not be negative" if ctx["ge"] == 0 else f"must be {ctx['ge']} or more"
        case "less_than_equal":
            return f"must be {ctx['le']:,} or less"
    if kind in MESSAGES:
        return MESSAGES[kind].format(kind=type_name(error.get("input")))
    return error["msg"]


def parse(data):
    """The validated Story of a parsed file; raises Invalid with the first problem's place."""
    try:
        return Story.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        where = where_of(first["loc"])
        if first["type"] == "extra_forbidden":
            allowed = known_fields(first["loc"][:-1])
            first = {**first, "type": "document", "msg": f"unknown field (allowed: {allowed})"}
        raise Invalid(where, message_of(first), len(errors) - 1) from None


def known_fields(loc):
    """The fields allowed at a place of the document, for the unknown-field message."""
    model = Story
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
    return ", ".join(sorted(model.model_fields))


class Invalid(Exception):
    """A document that does not follow the schema, at `where` ("sources[3].url")."""

    def __init__(self, where, message, more=0):
        self.where, self.message, self.more = where, message, more
        super().__init__(f"{where}: {message}" if where else message)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema (fixtures/story.schema.json), for editors' tools."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated from stories/schema.py by `python manage.py story_schema`.",
        **Story.model_json_schema(),
    }
