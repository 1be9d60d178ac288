"""DEBUG switched on by accident in production: refused, or hardened and masked.

Start-up is checked in a fresh process, like tests/test_security.py does for production.
"""

import subprocess
import sys

import pytest
from django.test import RequestFactory
from django.views.debug import technical_500_response

from tests.test_security import BASE_DIR, PRINT_SETTINGS, production_env

pytestmark = pytest.mark.django_db

REDIS_PASSWORD = "r3dis-pa55word-7f3a"
DATABASE_PASSWORD = "pg-pa55word-91c2"


def run(args, **variables):
    env = production_env(**variables)
    env.pop("ALLOWED_HOSTS", None)
    env.update(variables)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "hosts", ["news.example.com", "localhost,news.example.com", "*", "93.184.215.14"]
)
def test_debug_refuses_to_start_on_a_public_host(hosts):
    result = run(["manage.py", "check"], DEBUG="true", ALLOWED_HOSTS=hosts)
    assert result.returncode != 0
    assert "ALLOW_DEBUG_ON_PUBLIC_HOSTS" in result.stderr
    assert "Traceback" not in result.stderr.split("ImproperlyConfigured")[-1]


@pytest.mark.parametrize(
    "hosts",
    [
        "localhost,127.0.0.1,[::1]",
        "newsroom.localhost",
        "10.1.2.3,192.168.0.5,172.16.4.4",
        "[fd00::1]",
    ],
)
def test_debug_starts_on_loopback_and_private_hosts(hosts):
    result = run(["manage.py", "check"], DEBUG="true", ALLOWED_HOSTS=hosts)
    assert result.returncode == 0, result.stderr


def test_debug_on_a_public_host_when_allowed_stays_hardened_and_says_so():
    result = run(
        ["-c", PRINT_SETTINGS],
        DEBUG="true",
        ALLOWED_HOSTS="news.example.com",
        ALLOW_DEBUG_ON_PUBLIC_HOSTS="true",
        SECRET_KEY="x" * 10 + "a-strong-enough-production-key-0123456789abcdefghij",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000", "True", "True"]
    assert "DEBUG is on" in result.stderr


def test_debug_without_a_secret_key_uses_this_checkouts_own_key(tmp_path):
    key_file = tmp_path / "secret-key"
    print_key = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'newsroom.settings'); django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY)"
    )
    first = run(["-c", print_key], DEBUG="true", DEVELOPMENT_SECRET_KEY_FILE=str(key_file))
    again = run(["-c", print_key], DEBUG="true", DEVELOPMENT_SECRET_KEY_FILE=str(key_file))
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert key_file.read_text().strip() == key
    assert again.stdout.strip() == key  # kept, so sessions survive a restart
    other = run(["-c", print_key], DEBUG="true", DEVELOPMENT_SECRET_KEY_FILE=str(tmp_path / "b"))
    assert other.stdout.strip() != key  # another checkout, another key


def test_no_secret_key_is_committed():
    settings_source = (BASE_DIR / "newsroom" / "settings.py").read_text()
    assert "django-insecure" not in settings_source
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".secret-key"], cwd=BASE_DIR, check=False
    )
    assert ignored.returncode == 0  # the default development key file stays out of git


def technical_error_page(request):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()


def test_technical_error_page_masks_passwords_in_settings_and_environment(settings):
    settings.DEBUG = True
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"redis://:{REDIS_PASSWORD}@cache.internal:6379/0",
        }
    }
    settings.SOME_SERVICE_URL = f"postgres://newsroom:{DATABASE_PASSWORD}@db.internal/news"
    request = RequestFactory().get(
        "/",
        DATABASE_URL=f"postgres://newsroom:{DATABASE_PASSWORD}@db.internal:5432/news",
        CACHE_URL=f"redis://default:{REDIS_PASSWORD}@cache.internal:6379/0",
    )
    content = technical_error_page(request)
    assert "cache.internal" in content  # the page is there, the settings on it ...
    assert REDIS_PASSWORD not in content  # ... with no password in them
    assert DATABASE_PASSWORD not in content
