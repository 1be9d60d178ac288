# Versions for stale-form checks on every editing screen; outlet names unique in any case.

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower, Trim


def refuse_outlets_named_alike(apps, schema_editor):
    """Outlet names become unique whatever their case: name any pair that is not, so that
    someone merges them (their articles move to one) before this migration runs."""
    Outlet = apps.get_model("stories", "Outlet")
    seen = {}
    for pk, name, key in Outlet.objects.annotate(key=Lower(Trim("name"))).values_list("pk", "name", "key"):
        if key in seen:
            raise RuntimeError(
                f"Outlets {seen[key]!r} and {name!r} (ids {pk}) have the same name but for case or "
                "spaces. Merge them in the admin (move the articles to one, delete the other), "
                "then migrate again."
            )
        seen[key] = name


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0012_feed_listings'),
    ]

    operations = [
        migrations.RunPython(refuse_outlets_named_alike, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name='article',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name='feed',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name='outlet',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AlterField(
            model_name='outlet',
            name='name',
            field=models.CharField(help_text='Unique whatever its case: “bbc” is “BBC”.', max_length=200, unique=True),
        ),
        migrations.AddConstraint(
            model_name='outlet',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower(django.db.models.functions.text.Trim('name')), name='outlet_name_unique_any_case', violation_error_message='An outlet of that name exists already (names are the same whatever their case).'),
        ),
    ]
