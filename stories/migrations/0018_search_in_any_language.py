"""Search in any language, alike on both databases: words match whatever their case and
accents (Bogotá, bogota, BOGOTA), not stemmed for one language.

PostgreSQL: the stored vector (0010) is rebuilt with the `newsroom_search` configuration,
the `simple` parser with the `unaccent` dictionary before it.
SQLite: an FTS5 index, `story_search`, with the unicode61 tokenizer folding case and
diacritics, kept exact by triggers on the story table (its headline, summary and the search
text the derived-data seam writes).
"""

from django.db import migrations

COLUMNS = {"headline": "A", "summary": "B", "search_text": "C"}


def vector(config):
    parts = [
        f"setweight(to_tsvector('{config}'::regconfig, COALESCE({column}, '')), '{weight}')"
        for column, weight in COLUMNS.items()
    ]
    return (
        "ALTER TABLE stories_story ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        + " || ".join(parts)
        + ") STORED"
    )


POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'newsroom_search') THEN
            CREATE TEXT SEARCH CONFIGURATION newsroom_search (COPY = simple);
            ALTER TEXT SEARCH CONFIGURATION newsroom_search
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
        END IF;
    END $$""",
    "DROP INDEX IF EXISTS story_search_vector_gin",
    "ALTER TABLE stories_story DROP COLUMN IF EXISTS search_vector",
    vector("newsroom_search"),
    "CREATE INDEX story_search_vector_gin ON stories_story USING gin (search_vector)",
]
POSTGRESQL_BACK = [
    "DROP INDEX IF EXISTS story_search_vector_gin",
    "ALTER TABLE stories_story DROP COLUMN IF EXISTS search_vector",
    vector("english"),
    "CREATE INDEX story_search_vector_gin ON stories_story USING gin (search_vector)",
]

SQLITE = [
    "CREATE VIRTUAL TABLE story_search USING fts5("
    "headline, summary, body, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO story_search (rowid, headline, summary, body) "
    "SELECT id, headline, summary, search_text FROM stories_story WHERE search_text != ''",
    # A story is written before its page (and search text) is built: it is indexed when
    # that is stored, once, not at the insert and again at the update.
    """CREATE TRIGGER story_search_insert AFTER INSERT ON stories_story
    WHEN new.search_text != ''
    BEGIN
        INSERT INTO story_search (rowid, headline, summary, body)
        VALUES (new.id, new.headline, new.summary, new.search_text);
    END""",
    """CREATE TRIGGER story_search_update AFTER UPDATE OF headline, summary, search_text
    ON stories_story
    WHEN old.headline IS NOT new.headline OR old.summary IS NOT new.summary
        OR old.search_text IS NOT new.search_text
    BEGIN
        DELETE FROM story_search WHERE rowid = old.id;
        INSERT INTO story_search (rowid, headline, summary, body)
        VALUES (new.id, new.headline, new.summary, new.search_text);
    END""",
    """CREATE TRIGGER story_search_delete AFTER DELETE ON stories_story BEGIN
        DELETE FROM story_search WHERE rowid = old.id;
    END""",
]
SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS story_search_insert",
    "DROP TRIGGER IF EXISTS story_search_update",
    "DROP TRIGGER IF EXISTS story_search_delete",
    "DROP TABLE IF EXISTS story_search",
]


def run(statements):
    def apply(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("stories", "0017_video_thumbnail")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            run({"postgresql": POSTGRESQL_BACK, "sqlite": SQLITE_BACK}),
        )
    ]
