"""Search reads the full-text index, not every story (PostgreSQL).

The planner prices `@@` like `=`, but checking a story means reading its whole vector from
TOAST storage: at the planner's default random_page_cost (4, priced for spinning disks) a
search for a word in a ninth of 1,000 stories scanned all of them, 6x slower than through
the GIN index. The connection settings price random reads for the SSDs databases run on.
"""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from bench.corpus import Writer
from stories.models import Story
from stories.search import _full_text, words_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]


def test_a_search_for_a_common_word_reads_the_index():
    now = timezone.now()
    # Stories the size of the benchmark's, "Colombia" in a ninth of them.
    Story.objects.bulk_create(
        Story(
            slug=f"story-{i}",
            headline=Writer(i).sentence(12) + (" Colombia" if i % 9 == 0 else ""),
            summary=Writer(i + 1).sentence(40),
            search_text=Writer(i + 2).words(700),
            status=Story.Status.PUBLISHED,
            published_at=now - dt.timedelta(hours=i),
        )
        for i in range(1000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stories_story")
        query = _full_text(Story.objects.published().for_cards(), words_of("colombia"))[:50]
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "story_search_vector_gin" in plan, plan
    assert "Seq Scan" not in plan, plan
