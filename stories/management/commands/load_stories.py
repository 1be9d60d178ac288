"""Load story documents (YAML or JSON, one story per file) into the database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from stories.documents import SUFFIXES, DocumentError, load_documents, read_file


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

    def handle(self, *args, paths, dry_run=False, **options):
        files = collect_files(paths)
        documents = []
        for path in files:
            try:
                documents.append((str(path), read_file(path)))
            except DocumentError as exc:
                where = f"{path}: {exc.where}" if exc.where else str(path)
                raise CommandError(f"{where}: {exc.message}") from exc
        try:
            with transaction.atomic():
                results = load_documents(documents)
                if dry_run:
                    raise DryRun
        except DryRun:
            self.stdout.write(
                self.style.SUCCESS(f"{len(files)} file(s) are valid; nothing written.")
            )
            return
        except DocumentError as exc:
            raise CommandError(f"{str(exc).rstrip('.')}. Nothing was loaded.") from exc

        counts = {
            outcome: list(results.values()).count(outcome) for outcome in set(results.values())
        }
        if options["verbosity"] > 1:
            for origin, outcome in results.items():
                self.stdout.write(f"  {outcome:9} {origin}")
        summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("created", "updated", "unchanged"))
        self.stdout.write(self.style.SUCCESS(f"Loaded {len(results)} stories: {summary}."))


def collect_files(paths):
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
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
