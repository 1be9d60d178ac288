"""Once built the stored pages of timelines that existed before pages were stored.

It ran the application's own rendering, which a migration must never do: the code it
imports changes after the migration is written (an old database upgraded later crashed
here). Stored pages are now rebuilt by the fingerprint check of newsroom.derived, on read
and by `manage.py rebuild_pages`, so this step does nothing.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0005_stored_pages"),
        ("timelines", "0002_stored_pages"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
