"""Write every story to a folder, one file per story, in the format load_stories reads."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stories.documents import documents_of, write_file, write_images
from stories.models import Story


class Command(BaseCommand):
    help = (
        "Write every story (any status) into DIR as <slug>.yaml, the format load_stories "
        "reads, with the uploaded images they show under their media names."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")

    def handle(self, *args, directory, **options):
        folder = Path(directory)
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{folder}: exists and is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for story, document in documents_of(Story.objects.order_by("pk")):
            write_file(folder / f"{story.slug}.yaml", document)
            try:
                write_images(folder, document)
            except FileNotFoundError as exc:
                raise CommandError(
                    f"{story.slug}: its hero image {exc.filename!r} is missing from media"
                ) from exc
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} stories to {folder}."))
