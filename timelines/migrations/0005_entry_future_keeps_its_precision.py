"""A future entry keeps the precision the editor gave ("2027-06": after June 2027): the flag
is_future replaces the precision "future", which stood for "after this day"."""

from django.db import migrations, models


def future_to_flag(apps, schema_editor):
    TimelineEntry = apps.get_model("timelines", "TimelineEntry")
    TimelineEntry.objects.filter(precision="future").update(is_future=True, precision="day")


def flag_to_future(apps, schema_editor):
    TimelineEntry = apps.get_model("timelines", "TimelineEntry")
    TimelineEntry.objects.filter(is_future=True).update(precision="future")


class Migration(migrations.Migration):
    dependencies = [
        ("timelines", "0004_render_fingerprint"),
    ]

    operations = [
        migrations.AddField(
            model_name="timelineentry",
            name="is_future",
            field=models.BooleanField(
                default=False,
                help_text="A forward-looking entry: what is expected after the date, shown as “Future (post-Oct 2025)” at the date's precision.",
                verbose_name="future",
            ),
        ),
        migrations.RunPython(future_to_flag, flag_to_future),
        migrations.AlterField(
            model_name="timelineentry",
            name="date",
            field=models.DateField(
                help_text="For a year, give January 1; for a month, its first day."
            ),
        ),
        migrations.AlterField(
            model_name="timelineentry",
            name="precision",
            field=models.CharField(
                choices=[("year", "Year"), ("month", "Month"), ("day", "Day")],
                default="day",
                help_text="How much of the date the entry gives: shown as 2016, Oct 2025 or Dec 11, 2025.",
                max_length=6,
            ),
        ),
    ]
