"""WSGI entry point for production servers (gunicorn newsroom.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
# A web worker: every database call gets the client's clock (DATABASE_CLIENT_TIMEOUT).
os.environ.setdefault("NEWSROOM_WEB_WORKER", "true")

application = get_wsgi_application()
