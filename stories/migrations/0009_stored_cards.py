"""Stored story cards: add the column and build it for the stories that exist; and move
the content state on, so that its navigation holds what a feed page shows of each feed."""

from django.db import migrations, models


def build(apps, schema_editor):
    # The application's own rendering, as in 0006: a stored card is a cache of what the
    # current code renders.
    from stories.models import ContentVersion
    from stories.pages import refresh_story

    Story = apps.get_model("stories", "Story")
    for story_id in Story.objects.values_list("pk", flat=True):
        refresh_story(story_id)
    if ContentVersion.objects.exists():
        ContentVersion.bump()


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
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
