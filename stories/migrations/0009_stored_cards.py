"""Stored story cards: add the column.

It once also rendered every card with the application's own code; that step now does
nothing (see 0006): rows without a current render fingerprint are rebuilt by
newsroom.derived, on read and by `manage.py rebuild_pages`.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0008_urls_any_case"),
    ]

    operations = [
        migrations.AddField(
            model_name="story",
            name="card_html",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
