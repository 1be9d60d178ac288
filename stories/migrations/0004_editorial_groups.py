"""The two newsroom roles. Reporters write and send to review; Editors do everything.

Permissions are enforced by the admin on the server (stories.admin), not only by these
grants: a reporter's request to publish is refused even if a form is forged.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ITEMS = ["heroimage", "source", "keypoint", "keypointcitation", "video", "externalresource", "storynote"]
TIMELINE_ITEMS = ["timelineentry", "entrycitation"]

REPORTER_PERMISSIONS = [
    *(f"stories.{action}_story" for action in ("add", "change", "delete", "view")),
    *(f"stories.{action}_{model}" for model in ITEMS for action in ("add", "change", "delete", "view")),
    *(f"stories.{action}_{model}" for model in ("article", "outlet") for action in ("add", "change", "view")),
    "stories.view_feed",
    *(f"timelines.{action}_timeline" for action in ("add", "change", "view")),
    *(f"timelines.{action}_{model}" for model in TIMELINE_ITEMS for action in ("add", "change", "delete", "view")),
]


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return found

    reporters, _ = Group.objects.get_or_create(name="Reporters")
    reporters.permissions.set(permissions(REPORTER_PERMISSIONS))
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["stories", "timelines"])
    )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reporters", "Editors"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0003_story_search_index"),
        ("timelines", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
