"""A story file can ship its hero image beside it (image: images/photo.jpg): the loader puts
it into media under that name, dump_stories writes it back beside the dump."""

import io
import shutil
from pathlib import Path

import pytest
import yaml
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from stories.models import HeroImage, Story

from .test_loader import SEED, seed_document, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg(color="red", size=(64, 36)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def story_folder(tmp_path, image_name="images/photo.jpg", content=None):
    folder = tmp_path / "files"
    (folder / Path(image_name).parent).mkdir(parents=True, exist_ok=True)
    (folder / image_name).write_bytes(jpeg() if content is None else content)
    document = seed_document()
    document["hero_image"].pop("image_url", None)
    document["hero_image"]["image"] = image_name
    return write(folder, document)


def load(path):
    call_command("load_stories", str(path), verbosity=0)


def test_the_seed_story_ships_its_picture(media):
    load(SEED)

    hero = HeroImage.objects.get()
    assert hero.image and not hero.image_url
    with default_storage.open(hero.image.name) as stored:
        picture = Image.open(stored)
        assert picture.size == (1200, 675)
    assert hero.caption and hero.credit == "Image: BBC"  # the seed's words, kept as data


def test_an_image_beside_the_file_is_put_into_media_under_its_name(tmp_path, media):
    path = story_folder(tmp_path)

    load(path)

    assert HeroImage.objects.get().image.name == "images/photo.jpg"
    assert (media / "images" / "photo.jpg").read_bytes() == (
        path.parent / "images/photo.jpg"
    ).read_bytes()


def test_loading_again_changes_nothing(tmp_path, capsys):
    path = story_folder(tmp_path)
    load(path)
    capsys.readouterr()

    call_command("load_stories", str(path))

    assert "1 unchanged" in capsys.readouterr().out


def test_a_changed_image_under_a_name_media_holds_is_refused(tmp_path):
    path = story_folder(tmp_path)
    load(path)
    (path.parent / "images/photo.jpg").write_bytes(jpeg("blue"))

    with pytest.raises(CommandError, match=r"hero_image.image: .*differs from the file media"):
        load(path)


def test_dump_writes_the_image_beside_the_dump_and_loads_into_an_empty_database(tmp_path, media):
    path = story_folder(tmp_path)
    load(path)
    original = (media / "images/photo.jpg").read_bytes()

    call_command("dump_stories", str(tmp_path / "backup"), verbosity=0)
    Story.objects.all().delete()
    shutil.rmtree(media)
    load(tmp_path / "backup")

    dumped = yaml.safe_load((tmp_path / "backup" / f"{Story.objects.get().slug}.yaml").read_text())
    assert dumped["hero_image"]["image"] == "images/photo.jpg"
    assert (media / "images/photo.jpg").read_bytes() == original


def test_an_uploaded_image_is_dumped_and_restored_under_its_media_name(tmp_path, media):
    load(story_folder(tmp_path))
    hero = HeroImage.objects.get()
    hero.image.save("upload.jpg", ContentFile(jpeg("green")))  # as the admin stores an upload
    name = hero.image.name

    call_command("dump_stories", str(tmp_path / "backup"), verbosity=0)
    Story.objects.all().delete()
    shutil.rmtree(media)
    load(tmp_path / "backup")

    assert HeroImage.objects.get().image.name == name
    assert default_storage.exists(name)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../outside.jpg", "inside the story file's folder"),
        ("/etc/hostname", "inside the story file's folder"),
        ("images/notes.txt", "not an image"),
        ("images/fake.jpg", "not an image"),
    ],
)
def test_a_hostile_or_broken_image_path_is_refused_and_nothing_is_written(
    tmp_path, media, name, problem
):
    path = story_folder(tmp_path)
    (tmp_path / "outside.jpg").write_bytes(jpeg())
    (path.parent / "images/notes.txt").write_text("not a picture")
    (path.parent / "images/fake.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    document = yaml.safe_load(path.read_text())
    document["hero_image"]["image"] = name
    write(path.parent, document)

    with pytest.raises(CommandError, match=rf"hero_image.image: .*{problem}"):
        load(path)
    assert not Story.objects.exists()
    assert not (media / "etc").exists() and not (media / "outside.jpg").exists()
