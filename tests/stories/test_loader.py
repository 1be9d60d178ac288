"""load_stories and dump_stories: the seed fixture, idempotence, round trip, bad input."""

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stories.models import Article, Feed, Outlet, Source, Story
from timelines.models import Timeline, TimelineEntry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEED = FIXTURES / "us-colombia-trump-petro-talks.yaml"

pytestmark = pytest.mark.django_db


def load(*paths):
    call_command("load_stories", *map(str, paths), verbosity=0)


def seed_document():
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))


def write(tmp_path, document, name="story.yaml"):
    """The document as a story file in tmp_path, with the seed's pictures beside it."""
    shutil.copytree(FIXTURES / "images", tmp_path / "images", dirs_exist_ok=True)
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


def snapshot():
    """Every row of every newsroom table, to prove that a failed load wrote nothing."""
    tables = {}
    for label in ("stories", "timelines"):
        for model in apps.get_app_config(label).get_models():
            tables[model._meta.label] = sorted(
                model.objects.values_list(), key=lambda row: tuple(map(str, row))
            )
    return tables


# --- The seed story ------------------------------------------------------------------------


@pytest.fixture
def seed_story():
    load(SEED)
    return Story.objects.get()


def test_seed_story_has_every_section(seed_story):
    story = seed_story
    assert story.headline.startswith("Trump and Colombia’s Petro Conclude Constructive")
    assert story.status == Story.Status.PUBLISHED
    assert story in Story.objects.published()
    assert story.hero_image.credit == "Image: BBC"
    assert story.hero_image.source_name == "Colombia Presidency"
    assert story.hero_image.alt_text
    assert story.hero_image.full_size == story.hero_image.image.url  # "Full size": the file
    assert story.sources.count() == 10
    assert story.key_points.count() == 5
    assert story.videos.count() == 1
    assert story.resources.count() == 3
    assert story.timeline.entries.count() == 12
    assert {"top-headlines", "latin-america"} <= set(story.feeds.values_list("slug", flat=True))
    assert Feed.objects.get(slug="top-headlines").is_homepage


def test_seed_key_points_follow_the_seed(seed_story):
    key_points = list(seed_story.key_points.all())
    assert "Meeting Ends Cordially" in key_points[0].heading
    assert [kp.position for kp in key_points] == [1, 2, 3, 4, 5]
    first_source = seed_story.sources.get(position=1)
    for key_point in key_points:
        assert list(key_point.citations.all()) == [first_source]


def test_seed_timeline_cites_the_seed_sources(seed_story):
    numbers = {s.article_id: s.position for s in seed_story.sources.all()}
    entries = list(seed_story.timeline.entries.prefetch_related("citations"))
    cited = [sorted(numbers[a.pk] for a in entry.citations.all()) for entry in entries]
    assert cited == [[7], [6], [6], [10], [5], [8, 9], [4], [2], [3], [7], [1], [1]]
    labels = [entry.date_label for entry in entries]
    assert labels[:3] == ["2016", "Oct 2025", "Dec 11, 2025"]
    assert labels[-1] == "Future (post-Feb 3, 2026)"
    assert entries[0].precision == TimelineEntry.Precision.YEAR


def test_seed_placeholders_use_reserved_domains(seed_story):
    for url in Article.objects.values_list("url", flat=True):
        assert url.startswith(("https://example.com/", "https://example.org/"))
    assert seed_story.sources.filter(article__outlet__name="BBC").exists()


# --- Idempotence and round trip --------------------------------------------------------------


def test_loading_twice_changes_nothing(seed_story, capsys):
    before = snapshot()
    call_command("load_stories", str(SEED))
    assert "1 unchanged" in capsys.readouterr().out
    assert snapshot() == before


def test_loading_an_edited_file_updates_the_story_in_place(seed_story, tmp_path):
    document = seed_document()
    document["headline"] = "Trump and Petro end talks on a friendly note"
    document["key_points"][1]["cites"] = [1, 2]
    del document["videos"]
    load(write(tmp_path, document))

    story = Story.objects.get()
    assert story.pk == seed_story.pk
    assert story.headline == "Trump and Petro end talks on a friendly note"
    assert [s.position for s in story.key_points.get(position=2).citations.all()] == [1, 2]
    assert not story.videos.exists()
    assert Article.objects.count() == 10


def test_dump_then_load_into_an_empty_database_round_trips(seed_story, tmp_path):
    call_command("dump_stories", str(tmp_path / "first"), verbosity=0)
    first = (tmp_path / "first" / f"{seed_story.slug}.yaml").read_text(encoding="utf-8")
    before = snapshot()

    Story.objects.all().delete()
    for model in (Timeline, Article, Outlet, Feed):
        model.objects.all().delete()
    load(tmp_path / "first")
    call_command("dump_stories", str(tmp_path / "second"), verbosity=0)

    second = (tmp_path / "second" / f"{seed_story.slug}.yaml").read_text(encoding="utf-8")
    assert second == first
    after = snapshot()
    # Row ids differ after a reload; everything else must be identical.
    for label in before:
        assert len(after[label]) == len(before[label]), label
    reloaded = Story.objects.get()
    assert (reloaded.published_at, reloaded.updated_at) == (
        seed_story.published_at,
        seed_story.updated_at,
    )


def test_dry_run_writes_nothing():
    call_command("load_stories", str(SEED), "--dry-run", verbosity=0)
    assert not Story.objects.exists()


def test_loads_a_whole_folder():
    load(FIXTURES)
    assert Story.objects.filter(slug=seed_document()["slug"]).exists()


def test_entry_may_cite_an_article_that_is_not_a_source(tmp_path):
    document = seed_document()
    document["timeline"]["entries"][0]["cites_articles"] = [
        {
            "url": "https://example.com/extra",
            "outlet": document["outlets"][0]["slug"],
            "title": "Background on the 2016 accord",
        }
    ]
    load(write(tmp_path, document))
    entry = TimelineEntry.objects.get(position=1)
    assert "https://example.com/extra" in entry.citations.values_list("url", flat=True)
    assert not Source.objects.filter(article__url="https://example.com/extra").exists()


# --- Bad input ------------------------------------------------------------------------------


def broken(change):
    def make(tmp_path):
        document = copy.deepcopy(seed_document())
        change(document)
        return write(tmp_path, document)

    return make


def raw(name, text):
    def make(tmp_path):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


def setitem(path, value):
    def change(document):
        *parents, last = path
        target = document
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return change


BAD_INPUTS = {
    "malformed YAML": (raw("bad.yaml", "slug: x\nheadline: [unclosed\n"), "line 3"),
    "malformed JSON": (raw("bad.json", '{"slug": "x",}'), "invalid JSON"),
    "not a mapping": (raw("list.yaml", "- just\n- a list\n"), "must be a mapping"),
    "missing headline": (
        broken(setitem(["headline"], KeyError)),
        "headline: this field is required",
    ),
    "empty heading": (
        broken(setitem(["key_points", 2, "heading"], "   ")),
        "key_points[2].heading: must not be empty",
    ),
    "wrong type": (
        broken(setitem(["sources"], "ten sources")),
        "sources: expected list, got text",
    ),
    "unknown field": (broken(setitem(["video"], [])), "video: unknown field"),
    "citation to a missing source": (
        broken(setitem(["key_points", 0, "cites"], [11])),
        "key_points[0].cites[0]: cites source [11], but the story has 10 sources",
    ),
    "citation that is not a number": (
        broken(setitem(["timeline", "entries", 3, "cites"], ["one"])),
        "timeline.entries[3].cites[0]: a citation is a source number",
    ),
    "bad entry date": (
        broken(setitem(["timeline", "entries", 1, "date"], "October 2025")),
        "timeline.entries[1].date: 'October 2025' is not a date",
    ),
    "bad publication time": (
        broken(setitem(["published_at"], "yesterday")),
        "published_at: 'yesterday' is not a date and time",
    ),
    "time without zone": (
        broken(setitem(["updated_at"], "2026-02-04T09:15:00")),
        "updated_at: give a time zone",
    ),
    "unknown outlet": (
        broken(setitem(["sources", 4, "outlet"], "nowhere-news")),
        "sources[4].outlet: unknown outlet 'nowhere-news'",
    ),
    "javascript URL": (
        broken(setitem(["resources", 0, "url"], "javascript:alert(1)")),
        "resources[0].url: Enter a valid URL.",
    ),
    "bad status": (
        broken(setitem(["status"], "live")),
        "status: Value 'live' is not a valid choice",
    ),
    "same source twice": (
        broken(lambda d: d["sources"].append(dict(d["sources"][0]))),
        "sources[10].url: the same article as sources[0]",
    ),
    "published without a time": (
        broken(lambda d: d.pop("published_at")),
        "published_at: a published story needs its first-published time",
    ),
    "blank timeline title": (
        broken(setitem(["timeline", "title"], "  \t ")),
        "timeline.title: must not be empty",
    ),
    "same new article twice": (
        broken(lambda d: [d["sources"][i].update(url="https://example.com/new") for i in (1, 2)]),
        "sources[2].url: the same article as sources[1]",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_names_the_place_and_writes_nothing(case, tmp_path):
    make, message = BAD_INPUTS[case]
    load(SEED)
    before = snapshot()
    path = make(tmp_path)
    with pytest.raises(CommandError) as error:
        load(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)
    assert snapshot() == before


def test_duplicate_slug_across_files_is_refused_and_nothing_is_written(tmp_path):
    first = write(tmp_path, seed_document(), "a.yaml")
    second = write(tmp_path, seed_document(), "b.yaml")
    with pytest.raises(CommandError) as error:
        load(first, second)
    assert f"{second}: slug:" in str(error.value)
    assert str(first) in str(error.value)
    assert not Story.objects.exists()


def test_one_bad_file_in_a_folder_loads_nothing(tmp_path):
    write(tmp_path, seed_document(), "a-good.yaml")
    bad = seed_document()
    bad["slug"] = "another-story"
    bad["key_points"][0]["cites"] = [0]
    write(tmp_path, bad, "b-bad.yaml")
    with pytest.raises(CommandError, match=r"b-bad.yaml: key_points\[0\].cites\[0\]"):
        load(tmp_path)
    assert not Story.objects.exists()
    assert not Article.objects.exists()


def test_missing_path_is_reported():
    with pytest.raises(CommandError, match="no such file or folder"):
        load("does/not/exist.yaml")


def test_json_documents_load_too(tmp_path):
    path = tmp_path / "story.json"
    path.write_text(json.dumps(seed_document(), default=str), encoding="utf-8")
    load(path)
    assert Story.objects.get().sources.count() == 10


# --- Cost ----------------------------------------------------------------------------------


def numbered_copy(n):
    """The seed document as a different story with its own articles and timeline."""
    document = seed_document()
    document["slug"] = f"{document['slug']}-{n}"
    document["timeline"]["slug"] = f"{document['timeline']['slug']}-{n}"
    for source in document["sources"]:
        source["url"] = f"{source['url']}-{n}"
    return document


def test_loading_a_story_costs_the_same_queries_however_many_are_loaded(tmp_path):
    """No whole-table scan per new article: large loads stay linear."""

    def queries_to_load(n):
        path = write(tmp_path, numbered_copy(n), name=f"story-{n}.yaml")
        with CaptureQueriesContext(connection) as captured:
            load(path)
        return len(captured)

    load(write(tmp_path, numbered_copy(1), name="story-1.yaml"))  # the outlets and feeds
    second = queries_to_load(2)
    for n in range(3, 6):
        load(write(tmp_path, numbered_copy(n), name=f"story-{n}.yaml"))
    assert queries_to_load(6) == second
    assert Story.objects.count() == 6
    assert Article.objects.count() == 6 * len(seed_document()["sources"])


# --- Reading in worker processes (load_stories --jobs) -------------------------------------

# The command starts its reading processes before any thread of its own; pytest-xdist's
# worker has threads already, which fork() warns of. The children only read files.
fork_in_threads = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)


def stored_pages():
    """Every story's stored page and every item's HTML: what a load derives."""
    from stories.models import KeyPoint

    return {
        "stories": sorted(Story.objects.values_list("slug", "body_html", "card_html", "json_ld")),
        "key points": sorted(KeyPoint.objects.values_list("story__slug", "position", "body_html")),
        "entries": sorted(
            TimelineEntry.objects.values_list("timeline__slug", "position", "text_html")
        ),
    }


@fork_in_threads
def test_reading_in_worker_processes_loads_what_one_process_loads(tmp_path):
    from stories import markdown

    for n in range(12):
        write(tmp_path, numbered_copy(n), f"story-{n:02}.yaml")
    call_command("load_stories", str(tmp_path), jobs=0, verbosity=0)
    alone = stored_pages()
    Story.objects.all().delete()
    Timeline.objects.all().delete()

    call_command("load_stories", str(tmp_path), jobs=2, verbosity=0)

    assert stored_pages() == alone
    assert not markdown._rendered_ahead, "texts rendered ahead and never used are dropped"


@fork_in_threads
def test_a_bad_file_read_in_a_worker_process_names_its_place_and_loads_nothing(tmp_path):
    for n in range(12):
        write(tmp_path, numbered_copy(n), f"story-{n:02}.yaml")
    (tmp_path / "story-07.yaml").write_text("slug: [unclosed\n", encoding="utf-8")
    bad = numbered_copy(9)
    bad["key_points"][1]["cites"] = [99]
    write(tmp_path, bad, "story-09.yaml")

    with pytest.raises(CommandError) as error:
        call_command("load_stories", str(tmp_path), jobs=2, verbosity=0)

    # The first bad file in reading order, with the line of its error.
    assert f"{tmp_path / 'story-07.yaml'}: line 2, column 1: invalid YAML" in str(error.value)
    assert "Nothing was loaded" in str(error.value)
    assert not Story.objects.exists()
    assert not Article.objects.exists()


@fork_in_threads
def test_a_schema_error_read_in_a_worker_process_names_the_field(tmp_path):
    for n in range(6):
        write(tmp_path, numbered_copy(n), f"story-{n:02}.yaml")
    bad = numbered_copy(9)
    bad["key_points"][1]["cites"] = [99]
    write(tmp_path, bad, "story-09.yaml")

    with pytest.raises(CommandError, match=r"story-09.yaml: key_points\[1\].cites\[0\]"):
        call_command("load_stories", str(tmp_path), jobs=2, verbosity=0)
    assert not Story.objects.exists()


def test_a_few_files_are_read_in_this_process_by_default():
    from stories.documents import READ_CHUNK, reading_workers

    assert reading_workers(1) == 0
    assert reading_workers(4 * READ_CHUNK - 1) == 0
    assert reading_workers(1000) <= 3


# --- Future entries keep the precision the editor gave --------------------------------------


@pytest.mark.parametrize(
    ("written", "precision", "label"),
    [
        ("2027", "year", "Future (post-2027)"),
        ("2027-06", "month", "Future (post-Jun 2027)"),
        ("2027-06-15", "day", "Future (post-Jun 15, 2027)"),
    ],
)
def test_a_future_entry_keeps_the_precision_it_is_written_with(
    tmp_path, written, precision, label
):
    from stories.documents import dump_story

    document = seed_document()
    document["timeline"]["entries"][-1].update(date=written, precision="future")
    load(write(tmp_path, document))

    entry = TimelineEntry.objects.order_by("-date").first()
    assert (entry.precision, entry.is_future, entry.date_label) == (precision, True, label)
    dumped = dump_story(Story.objects.get())["timeline"]["entries"][-1]
    assert (str(dumped["date"]), dumped["precision"]) == (written, "future")
