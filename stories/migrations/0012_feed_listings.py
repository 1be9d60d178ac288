"""Feed listings: each feed membership with the story's status and times (see Listing)."""

import django.db.models.deletion
from django.db import migrations, models


def list_every_membership(apps, schema_editor):
    story_model = apps.get_model("stories", "Story")
    listing_model = apps.get_model("stories", "Listing")
    memberships = story_model.feeds.through.objects.using(schema_editor.connection.alias)
    rows = memberships.values_list(
        "feed_id", "story_id", "story__status", "story__published_at", "story__updated_at"
    ).iterator(chunk_size=5_000)
    listing_model.objects.using(schema_editor.connection.alias).bulk_create(
        (
            listing_model(
                feed_id=feed_id,
                story_id=story_id,
                status=status,
                published_at=published_at,
                updated_at=updated_at,
            )
            for feed_id, story_id, status, published_at, updated_at in rows
        ),
        batch_size=5_000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0011_feed_membership_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="Listing",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("review", "In review"),
                            ("published", "Published"),
                            ("archived", "Archived"),
                        ],
                        max_length=10,
                    ),
                ),
                ("published_at", models.DateTimeField(null=True)),
                ("updated_at", models.DateTimeField(null=True)),
                (
                    "feed",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="stories.feed",
                    ),
                ),
                (
                    "story",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="listings",
                        to="stories.story",
                    ),
                ),
            ],
            options={
                "verbose_name": "feed listing",
                "indexes": [
                    models.Index(
                        fields=["feed", "status", "-updated_at", "-story", "published_at"],
                        name="listing_feed_page_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("story", "feed"), name="listing_story_feed_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(list_every_membership, migrations.RunPython.noop, elidable=True),
    ]
