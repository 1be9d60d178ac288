"""Browser fixtures for the end-to-end tests: a real Chromium driven by Playwright.

The browser is Debian's Chromium (browsers cannot be downloaded where these tests run), found
at $CHROMIUM or /usr/bin/chromium. Every context is hermetic: requests to anything but the live
server are aborted, so a test never depends on, or leaks to, the outside network.
"""

import os
import shutil
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an asyncio event loop running in the main thread, and Django
# refuses ORM calls from a thread with a running loop ("SynchronousOnlyOperation"). These
# tests call the ORM from the test thread only, never from a coroutine, so the guard has
# nothing to protect here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_DIR = Path(__file__).resolve().parent
SCREENSHOTS_DIR = E2E_DIR.parents[1] / "test-output" / "screenshots"

# Every staff login's password in these tests.
PASSWORD = "a-long-test-only-password-7c2e"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    # A conftest hook sees every collected item, not only this folder's.
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


def chromium_path():
    configured = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    path = shutil.which(configured)
    if path is None:
        # Failing, not skipping: a suite that is green because it ran nothing proves nothing.
        pytest.fail(
            f"No Chromium executable at {configured!r}. The browser tests use Debian's Chromium: "
            "install it with 'apt-get install chromium', or set CHROMIUM to the path of a "
            "Chromium binary.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser():
    executable_path = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Serve /static/ from the app folders, as the live server's own static handler does.

    The live server answers /static/ before any middleware runs, from the finders, which know
    newsroom.css but not its hashed production name; production serving (whitenoise, hashed
    and compressed) is covered by tests/test_static_files.py and the benchmark.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def new_context(browser, live_server):
    """Open browser contexts that can reach the live server and nothing else.

    Takes Playwright's new_context() options (viewport, java_script_enabled, ...). Every
    context opened is closed when the test ends.
    """
    server = urlsplit(live_server.url).netloc
    contexts = []

    def keep_local(route):
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            route.abort()

    def open_context(**options):
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.route("**/*", keep_local)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A desktop-sized page with JavaScript on."""
    return new_context().new_page()


@pytest.fixture(scope="session")
def screenshots_dir():
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS_DIR


# --- The newsroom's people ---------------------------------------------------------------


@pytest.fixture
def editorial_groups(transactional_db):
    """The Editors and Reporters groups, made by the data migration that makes them.

    A live-server test commits its rows and ends by flushing every table, the migration's
    groups with them, so each such test runs the migration's own function again.
    """
    migration = import_module("stories.migrations.0004_editorial_groups")
    state = MigrationExecutor(connection).loader.project_state(
        ("stories", "0004_editorial_groups"), at_end=True
    )
    migration.create_groups(state.apps, None)


@pytest.fixture
def staff_member(editorial_groups, django_user_model, settings):
    """Make a staff login in a newsroom group, as `manage.py create_editor` does."""
    # The real hasher costs most of a second per hash, twice per login; what is tested here
    # is the login form and the session, not the hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def create(username, group_name):
        user = django_user_model.objects.create_user(
            username=username, password=PASSWORD, is_staff=True
        )
        user.groups.add(Group.objects.get(name=group_name))
        return user

    return create


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
