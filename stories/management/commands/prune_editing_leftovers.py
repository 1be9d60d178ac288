"""Delete what editing leaves behind once nobody can use it: hero images kept for story forms
that came back with errors (their forms' tokens have expired), and previews shared by
editors who have not previewed that story for a week. Run it daily (cron, a systemd timer)."""

import datetime

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from stories.forms import HeroImageForm
from stories.models import SharedPreview


class Command(BaseCommand):
    help = (
        "Delete hero images kept for story forms that can no longer use them (after "
        f"{HeroImageForm.KEPT_FOR // 3600} hours) and shared previews not updated for "
        f"{SharedPreview.KEPT_FOR.days} days."
    )

    def handle(self, *args, **options):
        files = self.prune_kept_uploads()
        previews, _ = SharedPreview.objects.filter(
            updated_at__lt=timezone.now() - SharedPreview.KEPT_FOR
        ).delete()
        self.stdout.write(f"Deleted {files} kept uploads and {previews} shared previews.")

    def prune_kept_uploads(self):
        """Each kept upload is alone in a folder of its own: the folder goes with it."""
        root = HeroImageForm.KEPT_FOLDER
        if not default_storage.exists(root):
            return 0
        expired = timezone.now() - datetime.timedelta(seconds=HeroImageForm.KEPT_FOR)
        deleted = 0
        for folder in default_storage.listdir(root)[0]:
            place = f"{root}{folder}/"
            names = default_storage.listdir(place)[1]
            old = [
                name for name in names if default_storage.get_modified_time(place + name) < expired
            ]
            for name in old:
                default_storage.delete(place + name)
            deleted += len(old)
            if len(old) == len(names):
                default_storage.delete(place)  # the empty folder
        return deleted
