from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    """The project's own app: the derived-data seam, shared editing code and commands."""

    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        from . import derived

        derived.connect()
