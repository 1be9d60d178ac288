from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.utils.translation import get_language_info

# A BCP 47 language tag as pages use it: a language, then subtags (es, pt-BR, zh-Hant, ar).
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class HttpURLField(models.URLField):
    """A URL that a browser can open safely: http or https only (no javascript:, data:, ftp:)."""

    default_validators = [URLValidator(schemes=["http", "https"])]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 500)
        super().__init__(*args, **kwargs)


class LanguageField(models.CharField):
    """The language of a text, as a BCP 47 tag; blank for the site's own (LANGUAGE_CODE).
    Pages mark the text with it (lang, and dir for a right-to-left script: text_direction)."""

    default_validators = [
        RegexValidator(LANGUAGE_TAG, "Give a language tag such as es, pt-BR or ar.")
    ]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 35)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)


def text_direction(tag):
    """ "rtl" for a language written right to left (ar, he, fa, ur, ...), else "ltr"."""
    for code in (tag, tag.split("-")[0]):
        try:
            return "rtl" if get_language_info(code.lower())["bidi"] else "ltr"
        except KeyError:
            continue
    return "ltr"
