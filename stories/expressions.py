from django.db.models import Aggregate, JSONField


class JSONArrayAgg(Aggregate):
    """Rows as one JSON array, so a story's short lists arrive with the story in one query.

    Portable between PostgreSQL (JSONB_AGG) and SQLite (JSON_GROUP_ARRAY). SQLite before 3.44
    cannot order inside an aggregate: put the position in each object and sort in Python.
    """

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)
