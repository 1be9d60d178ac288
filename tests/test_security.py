"""Security headers, production settings, HTTPS and admin login throttling.

Runs with the production settings `make test` uses (DEBUG off), relaxed only where the test
client speaks plain HTTP; the tests that need HTTPS behaviour switch it back on. Production
start-up itself is checked in a subprocess, with no relaxing variable at all.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.xss_vectors import audit_html

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[1]


def public_pages(story, topic_feed):
    """name -> address of every public surface a reader or a crawler requests."""
    return {
        "home": reverse("stories:home"),
        "topic feed": topic_feed.get_absolute_url(),
        "story": story.get_absolute_url(),
        "timeline": story.timeline.get_absolute_url(),
        "search": f"{reverse('stories:search')}?q=vorpaline",
        "rss": reverse("stories:rss"),
        "atom": reverse("stories:atom"),
        "sitemap": reverse("sitemap"),
        "news sitemap": reverse("news_sitemap"),
        "robots": reverse("robots_txt"),
        "404": "/no-such-page/",
    }


HTML_PAGES = ["home", "topic feed", "story", "timeline", "search", "404"]


def csp_directives(response):
    """{"script-src": ["'self'", ...], ...} from the Content-Security-Policy header."""
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_security_headers(response):
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert "'self'" in csp["script-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(csp["script-src"])
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] in (["'none'"], ["'self'"])
    assert csp["form-action"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


# --- Headers on every response -----------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        "home",
        "topic feed",
        "story",
        "timeline",
        "search",
        "rss",
        "atom",
        "sitemap",
        "news sitemap",
        "robots",
        "404",
    ],
)
def test_public_response_carries_the_security_headers(client, published_story, topic_feed, page):
    url = public_pages(published_story, topic_feed)[page]
    response = client.get(url)
    assert response.status_code == (404 if page == "404" else 200)
    assert_security_headers(response)


@pytest.mark.parametrize("page", ["home", "story", "404"])
def test_page_served_from_the_page_cache_carries_the_security_headers(
    client, published_story, topic_feed, django_assert_max_num_queries, page
):
    url = public_pages(published_story, topic_feed)[page]
    first = client.get(url)
    # A repeat costs the content-version lookup only: it comes from the page cache.
    with django_assert_max_num_queries(1):
        second = client.get(url)
    assert second.status_code == first.status_code
    assert second.content == first.content
    assert_security_headers(second)


def test_admin_login_page_carries_the_security_headers(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("model", ["feed", "story", "timeline"])
def test_admin_change_page_carries_the_security_headers(
    admin_client, published_story, topic_feed, model
):
    obj = {"feed": topic_feed, "story": published_story, "timeline": published_story.timeline}
    app = "timelines" if model == "timeline" else "stories"
    response = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj[model].pk]))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.fixture
def uploaded_image(settings):
    """A file in MEDIA_ROOT, as an editor's upload leaves it; removed afterwards."""
    root = Path(settings.MEDIA_ROOT)
    created_root = not root.exists()
    path = root / "stories" / f"security-test-{secrets.token_hex(8)}.png"
    created_dir = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PNG)
    yield path
    path.unlink()
    if created_dir:
        path.parent.rmdir()
    if created_root:
        root.rmdir()


# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000185d91c6b0000000049454e44ae426082"
)


def test_uploaded_image_is_served_with_the_security_headers(client, settings, uploaded_image):
    relative = uploaded_image.relative_to(settings.MEDIA_ROOT).as_posix()
    response = client.get(f"{settings.MEDIA_URL}{relative}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    response.close()
    assert response["Content-Type"] == "image/png"
    assert_security_headers(response)


@pytest.mark.parametrize(
    "path", ["/media/../manage.py", "/media/%2e%2e/manage.py", "/media/stories/"]
)
def test_media_serves_no_file_outside_uploads_and_no_listing(client, path):
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert b"DJANGO_SETTINGS_MODULE" not in response.content
    assert b"Index of" not in response.content


@pytest.mark.parametrize("page", HTML_PAGES)
def test_public_page_has_no_inline_script_or_style(client, published_story, topic_feed, page):
    """CSP allows our static files only (and JSON-LD, which is data, not script)."""
    response = client.get(public_pages(published_story, topic_feed)[page])
    audit = audit_html(response.content)
    assert audit.problems == []
    scripts = [(tag, name) for tag, name, _ in audit.attributes if tag == "script"]
    assert ("script", "src") in scripts  # our own script, from a static file
    assert all(tag != "style" for tag in audit.tags)


def test_story_page_json_ld_is_the_only_inline_script(client, published_story):
    response = client.get(published_story.get_absolute_url())
    [json_ld] = audit_html(response.content).json_ld
    assert json_ld["@type"] == "NewsArticle"
    assert json_ld["headline"] == published_story.headline


# --- Production settings, checked in a fresh process ---------------------------------------

RELAXING = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)
PRINT_SETTINGS = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'newsroom.settings'); "
    "django.setup(); from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE)"
)
HARDENED = ["True", "31536000", "True", "True"]


def production_env(**variables):
    """This process's environment without anything that configures Newsroom's security."""
    env = {
        name: value
        for name, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set for the browser tests in this process, never deployed.
        if name
        not in {
            "DEBUG",
            "SECRET_KEY",
            "TRUST_X_FORWARDED_PROTO",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            *RELAXING,
        }
    }
    env.update(variables)
    return env


def run(args, **variables):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_env(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def strong_key():
    return secrets.token_urlsafe(64)


def test_deploy_check_passes_with_production_settings():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=strong_key(),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("key", ["short", "a" * 64], ids=["short", "one-character-repeated"])
def test_production_refuses_to_start_with_a_weak_secret_key(key):
    result = run(["manage.py", "check"], DEBUG="false", SECRET_KEY=key)
    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_development_starts_without_a_secret_key():
    result = run(["manage.py", "check"], DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_production_is_hardened_by_default():
    result = run(["-c", PRINT_SETTINGS], DEBUG="false", SECRET_KEY=strong_key())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == HARDENED


@pytest.mark.parametrize("variable", RELAXING)
def test_each_variable_relaxes_its_own_setting_only(variable):
    value = "0" if variable == "SECURE_HSTS_SECONDS" else "false"
    result = run(
        ["-c", PRINT_SETTINGS], DEBUG="false", SECRET_KEY=strong_key(), **{variable: value}
    )
    assert result.returncode == 0, result.stderr
    expected = list(HARDENED)
    expected[RELAXING.index(variable)] = "0" if value == "0" else "False"
    assert result.stdout.split() == expected


# --- HTTPS -----------------------------------------------------------------------------------


def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("stories:home"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"


def test_https_responses_carry_strict_transport_security(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get(reverse("stories:home"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# --- Admin login throttling (django-axes) -----------------------------------------------------

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.com", PASSWORD)


def log_in(client, username, password):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def is_logged_in(client):
    return SESSION_KEY in client.session


def test_anonymous_admin_request_redirects_to_the_login_page(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_right_password_logs_in(client, staff):
    response = log_in(client, "chief", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert is_logged_in(client)


def test_five_wrong_passwords_lock_out_even_the_right_one(client, staff):
    for _ in range(4):
        assert log_in(client, "chief", "wrong password").status_code == 200
    log_in(client, "chief", "wrong password")
    response = log_in(client, "chief", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not is_logged_in(client)
    assert_security_headers(response)


def test_lockout_of_one_username_leaves_another_alone(client, staff, django_user_model):
    django_user_model.objects.create_superuser("deputy", "deputy@example.com", PASSWORD)
    for _ in range(5):
        log_in(client, "chief", "wrong password")
    assert log_in(client, "chief", PASSWORD).status_code == 429
    response = log_in(Client(), "deputy", PASSWORD)
    assert response.status_code == 302


def test_right_password_before_the_limit_logs_in_and_resets_the_count(client, staff):
    for _ in range(4):
        log_in(client, "chief", "wrong password")
    assert log_in(client, "chief", PASSWORD).status_code == 302
    # Four more failures would make eight: only a reset count leaves the account open.
    again = Client()
    for _ in range(4):
        assert log_in(again, "chief", "wrong password").status_code == 200
    assert log_in(again, "chief", PASSWORD).status_code == 302
    assert is_logged_in(again)


def test_lockout_page_says_in_words_how_long_to_wait(client, staff):
    for _ in range(5):
        log_in(client, "chief", "wrong password")
    response = log_in(client, "chief", PASSWORD)
    assert response.status_code == 429
    content = response.content.decode()
    assert "PT15M" not in content  # django-axes' own ISO 8601 duration
    assert re.search(r"Try again in\s+15\s+minutes", content)  # timeuntil's no-break space
