"""A GIN index for full-text search on PostgreSQL (SQLite searches without one).

The expression matches what stories.search builds with SearchVector("search_text",
config="english"), so the planner uses the index.
"""

from django.db import migrations

INDEX = "story_search_text_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON stories_story USING gin "
            "(to_tsvector('english'::regconfig, COALESCE(search_text, '')))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("stories", "0002_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
