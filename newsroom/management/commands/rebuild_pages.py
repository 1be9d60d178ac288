"""Rebuild the stored pages that the running code would not serve (run on every deploy)."""

import sys
import time

from django.core.management.base import BaseCommand
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from newsroom import derived
from stories.models import Story


class Command(BaseCommand):
    help = (
        "Rebuild stored story and timeline pages made by other rendering code (after a "
        "deploy that changed a template, a filter or the page code) or marked stale. Pages "
        "are also rebuilt when first read, so the site is right without this: it makes the "
        "first reads fast again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="rebuild every page, current or not"
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        if sys.stdout.isatty() and options["verbosity"] > 0:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            ) as bar:
                tasks = {}

                def progress(model, done, total):
                    label = model._meta.verbose_name_plural
                    if model not in tasks:
                        tasks[model] = bar.add_task(f"Rebuilding {label}", total=total)
                    bar.update(tasks[model], completed=done)

                stories, timelines = derived.rebuild_stale(every=options["all"], progress=progress)
        else:
            stories, timelines = derived.rebuild_stale(every=options["all"])
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {stories} story and {timelines} timeline pages in {seconds:.1f} s "
                f"(fingerprint {derived.fingerprint()}; {Story.objects.count()} stories)."
            )
        )
