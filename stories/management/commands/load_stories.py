"""Load story documents (YAML or JSON, one story per file) into the database."""

import time
from contextlib import nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stories.documents import (
    SUFFIXES,
    DocumentError,
    load_documents,
    read_stories,
    reading_workers,
)

OUTCOMES = ("created", "updated", "unchanged")


class DryRun(Exception):
    """Raised to roll back a dry run after everything was validated and written."""


class Command(BaseCommand):
    help = (
        "Load story files or folders of them. Loading is idempotent (an unchanged file changes "
        "nothing, an edited one updates its story in place) and atomic (one bad file and "
        "nothing at all is written)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="story files or folders")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate everything, then write nothing"
        )
        parser.add_argument(
            "--jobs",
            type=int,
            metavar="N",
            help="processes that read and validate files while this one writes (default: "
            "one per spare CPU, up to 3, for more than a few dozen files; 0: none)",
        )

    def handle(self, *args, paths, dry_run=False, jobs=None, **options):
        started = time.perf_counter()
        files = collect_files(paths)
        show_progress = self.stdout.isatty() and options["verbosity"] > 0
        workers = reading_workers(len(files)) if jobs is None else jobs
        # The reading processes start first: before the progress bar's thread.
        with read_stories(files, workers) as stories, progress_bar(show_progress) as progress:
            reading = progress.add_task("Reading files", total=len(files))
            writing = progress.add_task("Writing stories", total=len(files))
            try:
                with transaction.atomic():
                    results = load_documents(
                        counted(stories, lambda: progress.advance(reading)),
                        progress=lambda n: progress.advance(writing, n),
                    )
                    if dry_run:
                        raise DryRun
            except DryRun:
                self.stdout.write(
                    self.style.SUCCESS(f"{len(files)} file(s) are valid; nothing written.")
                )
                return
            except DocumentError as exc:
                raise CommandError(f"{str(exc).rstrip('.')}. Nothing was loaded.") from exc

        if options["verbosity"] > 1:
            for origin, outcome in results.items():
                self.stdout.write(f"  {outcome:9} {origin}")
        outcomes = list(results.values())
        summary = ", ".join(f"{outcomes.count(outcome)} {outcome}" for outcome in OUTCOMES)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(results)} stories: {summary}. "
                f"{elapsed:.1f} s, {len(results) / max(elapsed, 1e-9):.0f} stories/s."
            )
        )


def counted(items, tell):
    """The items, telling tell() of each as it is taken."""
    for item in items:
        yield item
        tell()


class NoProgress:
    """What progress_bar() gives where no one watches: a bar that shows nothing."""

    def add_task(self, *args, **kwargs):
        return None

    def advance(self, *args, **kwargs):
        pass


def progress_bar(shown):
    if not shown:
        return nullcontext(NoProgress())
    return Progress(
        TextColumn("{task.description:16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(),
        transient=True,
    )


def collect_files(paths):
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file() and is_story(p)
            )
            if not found:
                raise CommandError(f"{path}: no .yaml, .yml or .json story files in this folder")
            files.extend(found)
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                raise CommandError(f"{path}: not a story file (expected .yaml, .yml or .json)")
            files.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder")
    return files


def is_story(path):
    """Not the JSON Schema published beside the stories (fixtures/story.schema.json)."""
    return not path.name.endswith(".schema.json")
