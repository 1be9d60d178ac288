"""A stored, weighted search vector on PostgreSQL (SQLite searches without one).

Ranking computed three to_tsvector() per matching story on every search, and on a small
table the planner preferred that to the index. The database now keeps the weighted vector
itself, as a generated column: it changes with the row, so it is never stale, and matching
and ranking both read it. The model does not declare it (SQLite has no tsvector type);
stories.search reads it on PostgreSQL only.
"""

from django.db import migrations

COLUMN = "search_vector"
INDEX = "story_search_vector_gin"
OLD_INDEX = "story_search_text_gin"  # 0003's, replaced by this one


def add_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE stories_story ADD COLUMN {COLUMN} tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english'::regconfig, COALESCE(headline, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'B') || "
        "setweight(to_tsvector('english'::regconfig, COALESCE(search_text, '')), 'C')"
        ") STORED"
    )
    schema_editor.execute(f"CREATE INDEX {INDEX} ON stories_story USING gin ({COLUMN})")
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")


def drop_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON stories_story USING gin "
        "(to_tsvector('english'::regconfig, COALESCE(search_text, '')))"
    )
    schema_editor.execute(f"ALTER TABLE stories_story DROP COLUMN IF EXISTS {COLUMN}")


class Migration(migrations.Migration):
    dependencies = [("stories", "0009_stored_cards")]

    operations = [migrations.RunPython(add_vector, drop_vector)]
