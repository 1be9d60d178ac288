"""The story document's schema (stories.schema): what it declares is loaded, dumped and
compared, whatever is added to it later.

Documents are generated from the schema itself: each field's strategy is chosen by the value
type it declares (its validator), so a new field is generated without touching this file,
and a new kind of value fails here until it has a strategy.
"""

import datetime as dt
import json
import types
import typing
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, BeforeValidator

from stories import schema
from stories.documents import dump_story, load_documents, read_file
from stories.management.commands.story_schema import SCHEMA_FILE, schema_text
from stories.models import Story

OLD_FORMAT_DUMP = Path(__file__).with_name("old_format_dump.yaml")

pytestmark = pytest.mark.django_db

# --- Documents generated from the schema ---------------------------------------------------

# What an editor types: letters, marks, digits, punctuation, symbols and spaces.
TYPED = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])
ZONES = [
    dt.UTC,
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
    dt.timezone(-dt.timedelta(hours=8)),
]
DAYS = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))


def text_of(constraints):
    longest = min(constraints.get("max_length", 60), 60)
    shortest = constraints.get("min_length", 0)
    values = st.text(TYPED, min_size=shortest, max_size=longest)
    return values.filter(lambda value: value.strip()) if shortest else values


# A strategy for each kind of value the schema declares, by its validator.
VALUES = {
    schema.text: text_of,
    schema.url: lambda c: st.from_regex(
        r"https://example\.(com|org)/[a-z0-9/-]{0,30}", fullmatch=True
    ),
    schema.slug: lambda c: st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", fullmatch=True),
    schema.time: lambda c: st.datetimes(
        dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1), timezones=st.sampled_from(ZONES)
    ),
    schema.entry_date: lambda c: DAYS.flatmap(
        lambda day: st.sampled_from(
            [day.year, f"{day.year:04d}-{day.month:02d}", day.isoformat(), day]
        )
    ),
    schema.duration: lambda c: (
        st.integers(0, 7 * 86_400)
        | st.integers(0, 86_400).map(lambda s: f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}")
    ),
    schema.whole_number: lambda c: st.integers(c.get("ge", 0), min(c.get("le", 10**6), 10**6)),
    schema.cite: lambda c: st.integers(1, 3),  # renumbered to the story's sources below
    schema.true_or_false: lambda c: st.booleans(),
    # Files: the tests that load documents give each one a file in media.
    schema.media_path: lambda c: (
        st.just("stories/hero.jpg") if c.get("min_length") else st.just("")
    ),
    schema.language: lambda c: st.sampled_from(
        ["es", "pt-BR", "ar", "zh-Hant", "ja"] + ([] if c.get("min_length") else [""])
    ),
}


def constraints_of(field):
    found = {}
    for item in field.metadata:
        for name in ("max_length", "min_length", "ge", "le"):
            if getattr(item, name, None) is not None:
                found[name] = getattr(item, name)
    return found


def strategy_of(annotation, field=None, full=False):
    """A strategy for values of `annotation`, as a file would give them."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return document_part(annotation, full)
    if origin is list:
        return st.lists(strategy_of(args[0], full=full), min_size=1 if full else 0, max_size=3)
    if origin in (typing.Union, types.UnionType):
        return strategy_of(next(arg for arg in args if arg is not type(None)), field, full)
    if origin is typing.Annotated:
        inner, *metadata = args
        validators = [m.func for m in metadata if isinstance(m, BeforeValidator)]
        if typing.get_origin(inner) is typing.Literal:
            return st.sampled_from(typing.get_args(inner))
        return strategy_of_validators(validators, annotation, field, full)
    if origin is typing.Literal:
        return st.sampled_from(args)
    validators = [
        m.func for m in (field.metadata if field else []) if isinstance(m, BeforeValidator)
    ]
    return strategy_of_validators(validators, annotation, field, full)


def strategy_of_validators(validators, annotation, field, full):
    constraints = constraints_of(field) if field else {}
    if full:  # every field holds something
        constraints["min_length"] = max(constraints.get("min_length", 0), 1)
    for validator in validators:
        if validator in VALUES:
            return VALUES[validator](constraints)
    raise LookupError(f"no strategy for {annotation!r}: add one to VALUES")


def document_part(model, full=False):
    """A mapping for `model`: required fields always, optional ones sometimes (full: all)."""
    required, optional = {}, {}
    for name, field in model.model_fields.items():
        values = strategy_of(field.annotation, field, full)
        if field.is_required() or full:
            required[name] = values
        else:
            optional[name] = values
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def story_documents(draw, full=False):
    """A valid story document: a schema-generated one, its references then made to hold."""
    document = draw(document_part(schema.Story, full))
    document["status"] = draw(st.sampled_from(["draft", "review", "published", "archived"]))
    if document["status"] == "published" and "published_at" not in document:
        document["published_at"] = draw(VALUES[schema.time]({}))
    feeds = {feed["slug"]: feed for feed in document.get("feeds", [])}
    for number, feed in enumerate(feeds.values()):
        feed["name"] = f"{feed['name'].strip()[:80]} {number}"  # names are unique
        feed["is_homepage"] = False
    document["feeds"] = list(feeds.values())
    if full:
        document["feeds"][0]["is_homepage"] = True
    outlets = {outlet["slug"]: outlet for outlet in document.get("outlets", [])}
    for number, outlet in enumerate(outlets.values()):
        outlet["name"] = f"{outlet['name'].strip()[:180]} {number}"
    articles = list(document.get("sources", []))
    entries = (document.get("timeline") or {}).get("entries", [])
    for entry in entries:
        articles += entry.get("cites_articles", [])
        if entry.get("precision") != "future":
            entry.pop("precision", None)
    if articles and not outlets:
        outlets = {"an-outlet": {"slug": "an-outlet", "name": "An outlet"}}
    for number, article in enumerate(articles):
        article["url"] = f"{article['url']}/{number}"  # each article once
        article["outlet"] = draw(st.sampled_from(sorted(outlets)))
    used = {article["outlet"] for article in articles}
    document["outlets"] = [outlet for slug, outlet in outlets.items() if slug in used]
    count = len(document.get("sources", []))
    for item in [*document.get("key_points", []), *entries]:
        item["cites"] = (
            draw(st.lists(st.integers(1, count), unique=True, max_size=3)) if count else []
        )
    if document.get("hero_image") and not full:
        document["hero_image"]["image"] = ""
        document["hero_image"]["image_url"] = "https://example.org/image.jpg"
    return document


def as_file(tmp_path, document):
    path = tmp_path / "story.yaml"
    path.write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return str(path)


def load(origin, data):
    (outcome,) = load_documents([(origin, data)]).values()
    return outcome


HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(document=story_documents())
def test_load_dump_load_round_trips(tmp_path, document):
    path = as_file(tmp_path, document)
    with transaction.atomic():
        assert load(path, read_file(path)) == "created"
        dumped = dump_story(Story.objects.get(slug=document["slug"]))

        assert schema.parse(dumped) == schema.parse(read_file(path))
        assert load(path, dumped) == "unchanged"
        assert dump_story(Story.objects.get(slug=document["slug"])) == dumped
        transaction.set_rollback(True)


# --- Every field is dumped --------------------------------------------------------------------


def field_paths(model, prefix=()):
    """Every field of the schema, recursively: ("timeline", "entries", "cites_articles", "url")."""
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        yield path
        part = part_in(field.annotation)
        if part is not None:
            yield from field_paths(part, path)


def part_in(annotation):
    """The schema model a field holds, alone, in a list or optional; else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(part_in, typing.get_args(annotation))), None)


def values_at(node, path):
    """The values at a field path, through every item of every list on the way."""
    if not path:
        return [node]
    if isinstance(node, list):
        return [value for item in node for value in values_at(item, path)]
    if isinstance(node, dict) and path[0] in node:
        return values_at(node[path[0]], path[1:])
    return []


@pytest.fixture
def media_image(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "stories").mkdir(parents=True)
    (settings.MEDIA_ROOT / "stories" / "hero.jpg").write_bytes(b"not really a jpeg")
    return "stories/hero.jpg"


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=story_documents(full=True))
def test_every_schema_field_is_dumped(tmp_path, media_image, document):
    document["hero_image"]["image"] = media_image
    for video in document["videos"]:
        video["thumbnail"] = media_image
    document["status"] = "review"  # not the default: dumps leave defaults out
    for item in document["videos"]:
        item["provider"] = "youtube"
        item["duration"] = 150
    for note in document["notes"]:
        note["kind"] = "correction"
    document["feeds"][0]["nav_position"] = 3
    document["timeline"]["entries"][0]["precision"] = "future"
    for entry in document["timeline"]["entries"]:
        entry["cites"] = [1]
    for point in document["key_points"]:
        point["cites"] = [1]
    path = as_file(tmp_path, document)
    with transaction.atomic():
        load(path, read_file(path))
        dumped = dump_story(Story.objects.get(slug=document["slug"]))
        transaction.set_rollback(True)

    missing = [
        ".".join(path)
        for path in field_paths(schema.Story)
        if not any(value not in (None, "", []) for value in values_at(dumped, path))
    ]
    assert not missing, f"fields the dump leaves out: {missing}"


def test_field_paths_walk_into_nested_parts():
    paths = list(field_paths(schema.Story))
    assert ("timeline", "entries", "cites_articles", "author") in paths
    assert ("hero_image", "alt_text") in paths
    assert len(paths) == len(set(paths))


# --- The published JSON Schema ----------------------------------------------------------------


def test_the_published_json_schema_is_current():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "fixtures/story.schema.json is out of date: run `python manage.py story_schema`"
    )


def test_the_json_schema_forbids_unknown_fields():
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published["additionalProperties"] is False
    assert all(part["additionalProperties"] is False for part in published["$defs"].values())


def test_the_schema_check_command_passes():
    call_command("story_schema", "--check", verbosity=0)


# --- Files written by earlier versions ------------------------------------------------------


def test_a_dump_made_before_the_schema_loads_unchanged(tmp_path):
    """tests/stories/old_format_dump.yaml is what dump_stories wrote before the schema."""
    data = read_file(OLD_FORMAT_DUMP)
    assert load(str(OLD_FORMAT_DUMP), data) == "created"
    assert load(str(OLD_FORMAT_DUMP), read_file(OLD_FORMAT_DUMP)) == "unchanged"

    dumped = dump_story(Story.objects.get(slug=data["slug"]))
    assert schema.parse(dumped) == schema.parse(data)
    assert load(str(OLD_FORMAT_DUMP), dumped) == "unchanged"


# --- Errors name their place -----------------------------------------------------------------


def seed():
    return yaml.safe_load(
        (
            Path(__file__).resolve().parents[2] / "fixtures" / "us-colombia-trump-petro-talks.yaml"
        ).read_text()
    )


def problem(change):
    document = seed()
    change(document)
    with pytest.raises(schema.Invalid) as error:
        schema.parse(document)
    return error.value


def test_a_citation_beyond_the_sources_is_placed_on_the_citation():
    error = problem(lambda d: d["key_points"][0].update(cites=[1, 12]))
    assert error.where == "key_points[0].cites[1]"
    assert "cites source [12], but the story has 10 sources" in error.message


def test_an_extra_key_inside_a_list_item_is_placed_on_the_key():
    error = problem(lambda d: d["timeline"]["entries"][2].update(source=3))
    assert error.where == "timeline.entries[2].source"
    assert error.message.startswith("unknown field (allowed: cites, cites_articles, date,")


def test_a_wrong_type_nested_in_a_list_is_placed_on_the_value():
    error = problem(lambda d: d["sources"][3].update(url=["https://example.com/"]))
    assert (error.where, error.message) == ("sources[3].url", "expected text, got a list")


def test_a_mapping_expected_in_a_list_names_the_item():
    error = problem(lambda d: d["videos"].append("https://example.com/video"))
    assert (error.where, error.message) == ("videos[1]", "expected a mapping, got text")


def test_a_loc_becomes_a_place():
    assert schema.where_of(("key_points", 0, "cites", 0)) == "key_points[0].cites[0]"
    assert schema.where_of(("sources", 3, "url")) == "sources[3].url"
    assert schema.where_of(()) == ""


def test_an_unknown_field_is_refused_even_when_null():
    error = problem(lambda d: d["hero_image"].update({"x-0": None}))
    assert error.where == "hero_image.x-0"


def test_the_markdown_texts_of_a_document_are_the_ones_the_models_render():
    """Declared once, by the models' RENDERED_FIELDS: the schema marks those fields as
    Markdown for editors' tools, and the loader renders them ahead from the same mark."""
    story = schema.parse(seed())

    texts = list(schema.markdown_texts(story))

    assert texts == [point.body for point in story.key_points] + [
        entry.text for entry in story.timeline.entries
    ]
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["$defs"]
    assert published["KeyPoint"]["properties"]["body"]["contentMediaType"] == "text/markdown"
    assert published["Entry"]["properties"]["text"]["contentMediaType"] == "text/markdown"
    assert "contentMediaType" not in published["KeyPoint"]["properties"]["heading"]
