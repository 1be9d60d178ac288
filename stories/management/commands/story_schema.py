"""Write the story document's JSON Schema (stories.schema) to fixtures/story.schema.json."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stories.schema import json_schema

SCHEMA_FILE = Path(settings.BASE_DIR) / "fixtures" / "story.schema.json"


def schema_text():
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = (
        "Write the JSON Schema of story documents, generated from stories/schema.py, to "
        "fixtures/story.schema.json (or PATH). --check fails if the file is out of date."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(SCHEMA_FILE), metavar="PATH")
        parser.add_argument(
            "--check", action="store_true", help="write nothing; fail if the file differs"
        )

    def handle(self, *args, path, check=False, **options):
        path = Path(path)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != schema_text():
                raise CommandError(
                    f"{path} is out of date: run `python manage.py story_schema` and commit it."
                )
            self.stdout.write(self.style.SUCCESS(f"{path} is up to date."))
            return
        path.write_text(schema_text(), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}."))
