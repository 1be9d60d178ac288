"""Build the stored pages of stories and timelines that existed before pages were stored.

This runs the application's own rendering (not historical models): a stored page is a
cache of what the current code renders, and is rebuilt by every later change anyway.
"""

from django.db import migrations


def build(apps, schema_editor):
    from stories.pages import refresh_timeline

    Timeline = apps.get_model("timelines", "Timeline")
    for timeline_id in Timeline.objects.values_list("pk", flat=True):
        refresh_timeline(timeline_id)
    # Stories are built in 0009, once every column the current code stores exists.


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0005_stored_pages"),
        ("timelines", "0002_stored_pages"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
