from django.core.validators import URLValidator
from django.db import models


class HttpURLField(models.URLField):
    """A URL that a browser can open safely: http or https only (no javascript:, data:, ftp:)."""

    default_validators = [URLValidator(schemes=["http", "https"])]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 500)
        super().__init__(*args, **kwargs)
