"""Uploaded pictures as readers get them: renditions at a few widths, WebP with a JPEG
fallback, for <picture> with srcset and sizes. The original (a photo can be 6 MB) is only
behind "Full size".

A rendition's name follows from the upload's name and a width, so a page knows its
renditions from the stored width and height alone (ImageField's width_field, height_field)
without opening a file. They are made when a page showing the picture is built (the
derived-data seam: on the editor's save, by the loader's rebuild, by rebuild_pages), once:
files already there are kept.
"""

import io
import logging
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

# Widths by use: a hero across a phone, a column, a large screen; a video still.
HERO_WIDTHS = (480, 960, 1600)
THUMBNAIL_WIDTHS = (320, 640)
# Formats, the first preferred; the last is every browser's fallback (and og:image's).
FORMATS = {
    "image/webp": ("webp", "WEBP", {"quality": 78, "method": 4}),
    "image/jpeg": ("jpg", "JPEG", {"quality": 82, "optimize": True, "progressive": True}),
}
FALLBACK = "image/jpeg"

logger = logging.getLogger(__name__)


def rendition_name(name, width, extension):
    return f"renditions/{PurePosixPath(name).with_suffix('')}-{width}w.{extension}"


class Picture:
    """The renditions of one uploaded picture, for a template."""

    def __init__(self, file, width, height, widths):
        self.name = file.name
        self.width, self.height = width, height
        # Never wider than the upload: a small picture is its own single rendition.
        self.widths = sorted({min(wanted, width) for wanted in widths})

    def url(self, width, mime=FALLBACK):
        return default_storage.url(rendition_name(self.name, width, FORMATS[mime][0]))

    def srcset(self, mime):
        return ", ".join(f"{self.url(width, mime)} {width}w" for width in self.widths)

    @property
    def sources(self):
        """(type, srcset) of the preferred formats, for <source> elements."""
        return [(mime, self.srcset(mime)) for mime in FORMATS if mime != FALLBACK]

    @property
    def src(self):
        """The fallback at the middle width: what an old browser shows."""
        return self.url(self.widths[len(self.widths) // 2])

    @property
    def largest(self):
        """The largest fallback rendition: for link previews (og:image, JSON-LD)."""
        return self.url(self.widths[-1])

    def height_at(self, width):
        return round(self.height * width / self.width)

    def ensure(self):
        """Make the renditions not made yet; False when the upload cannot be read (missing
        from media, or no picture): the page then links the file as it is named."""
        missing = [
            (width, mime)
            for width in self.widths
            for mime in FORMATS
            if not default_storage.exists(rendition_name(self.name, width, FORMATS[mime][0]))
        ]
        if not missing:
            return True
        try:
            make(self.name, missing)
        except (OSError, Image.DecompressionBombError) as exc:  # UnidentifiedImageError too
            logger.warning("No renditions of %s: %s", self.name, exc)
            return False
        return True


def measure(file):
    """(width, height) of an uploaded picture, read from its header; (None, None) for no
    file, or one missing from media or unreadable: it then shows as it is, no renditions."""
    if not file:
        return None, None
    try:  # ImageFieldFile reads a stored file and an upload not yet stored alike
        return file.width, file.height
    except (OSError, ValueError):
        return None, None


def picture_of(file, width, height, widths):
    """The Picture of an uploaded file (None for no file, or one whose size is unknown)."""
    if not file or not width or not height:
        return None
    return Picture(file, width, height, widths)


def make(name, wanted):
    """Write the renditions `wanted` ((width, mime) pairs) of the upload `name`."""
    largest = max(width for width, _ in wanted)
    with default_storage.open(name) as source:
        image = Image.open(source)
        # JPEG decodes straight at a smaller scale when the largest rendition allows it:
        # a 6 MB photo is read at a quarter of its pixels or fewer.
        image.draft("RGB", (largest, largest * image.height // image.width))
        image = ImageOps.exif_transpose(image).convert("RGB")
        for width in sorted({width for width, _ in wanted}, reverse=True):
            height = round(image.height * width / image.width)
            resized = image.resize((width, height), Image.LANCZOS, reducing_gap=2.0)
            for mime in [mime for w, mime in wanted if w == width]:
                extension, kind, options = FORMATS[mime]
                out = io.BytesIO()
                resized.save(out, kind, **options)
                target = rendition_name(name, width, extension)
                if default_storage.exists(target):
                    default_storage.delete(target)
                default_storage.save(target, ContentFile(out.getvalue()))
