"""prune_editing_leftovers: what editing leaves behind goes once nobody can use it."""

import datetime
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from stories.forms import HeroImageForm
from stories.models import SharedPreview
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


def kept_upload(root, folder, age):
    path = root / HeroImageForm.KEPT_FOLDER / folder / "photo.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"png")
    moment = (timezone.now() - age).timestamp()
    os.utime(path, (moment, moment))
    return path


def test_kept_uploads_go_once_their_forms_cannot_use_them(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    day = datetime.timedelta(seconds=HeroImageForm.KEPT_FOR)
    expired = kept_upload(tmp_path, "old-folder", day + datetime.timedelta(minutes=1))
    fresh = kept_upload(tmp_path, "new-folder", day - datetime.timedelta(minutes=1))

    call_command("prune_editing_leftovers", verbosity=0)

    assert not expired.exists() and not expired.parent.exists()
    assert fresh.exists()


def test_shared_previews_unused_for_a_week_go(admin_user):
    old = SharedPreview.objects.keep(admin_user, None, "<h1>Old</h1>")
    SharedPreview.objects.filter(token=old).update(
        updated_at=timezone.now() - SharedPreview.KEPT_FOR - datetime.timedelta(minutes=1)
    )
    recent = SharedPreview.objects.keep(admin_user, StoryFactory().pk, "<h1>New</h1>")

    call_command("prune_editing_leftovers", verbosity=0)

    assert list(SharedPreview.objects.values_list("token", flat=True)) == [recent]


def test_nothing_to_prune_is_fine(settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path

    call_command("prune_editing_leftovers")

    assert "Deleted 0 kept uploads and 0 shared previews." in capsys.readouterr().out
