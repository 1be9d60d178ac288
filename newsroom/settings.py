"""Newsroom settings, driven by environment variables (see .env.example)."""

import ipaddress
import os
import secrets
import warnings
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def is_local_host(host):
    """A host name only this machine or a private network can reach."""
    host = host.lower().lstrip(".").removeprefix("[").removesuffix("]")
    if host in ("localhost", "testserver") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def development_secret_key(path):
    """This checkout's own key, made on first use and kept out of git (.gitignore): no key
    is published in the repository for anyone to sign sessions with."""
    if not path.exists():
        # Written aside and linked into place: a process starting alongside (runserver's
        # reloader) sees no file or the whole key, and only one key wins.
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        draft.write_text(secrets.token_urlsafe(64) + "\n")
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
)
# DEBUG shows tracebacks, SQL, settings and URL patterns to whoever asks: on a machine of
# one's own, not on a public address, unless someone says so in as many words.
ALLOW_DEBUG_ON_PUBLIC_HOSTS = env.bool("ALLOW_DEBUG_ON_PUBLIC_HOSTS", default=False)
PUBLIC_HOSTS = [host for host in ALLOWED_HOSTS if not is_local_host(host)]
if DEBUG and PUBLIC_HOSTS and not ALLOW_DEBUG_ON_PUBLIC_HOSTS:
    raise ImproperlyConfigured(
        f"DEBUG is on and ALLOWED_HOSTS holds public hosts ({', '.join(PUBLIC_HOSTS)}): "
        "switch DEBUG off, or set ALLOW_DEBUG_ON_PUBLIC_HOSTS=true if you really mean it."
    )
# Development: DEBUG on this machine or a private network. Production hardening (HTTPS, HSTS,
# secure cookies) is relaxed by default only there.
DEVELOPMENT = DEBUG and not PUBLIC_HOSTS

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (at least 50 random "
            "characters) or set DEBUG=true for local development."
        )
    SECRET_KEY = development_secret_key(
        Path(env.str("DEVELOPMENT_SECRET_KEY_FILE", default=str(BASE_DIR / ".secret-key")))
    )
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 random characters, e.g. the output of "
        'python -c "import secrets; print(secrets.token_urlsafe(64))"'
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "adminsortable2",
    "reversion",
    "reversion_compare",
    "axes",
    "stories",
    "timelines",
    # After the apps it follows: the derived-data seam and the project's commands.
    "newsroom",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages an edit makes stale are rebuilt once, when the request is done (newsroom.derived).
    "newsroom.derived.BatchMiddleware",
    # Security headers are added on the way out, to cached pages too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stories.middleware.PublicPageCacheMiddleware",
    # Below the page cache: a cached page is stored compressed, once per encoding.
    "newsroom.compression.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Remembers the browser an editor logged in from (newsroom.logins).
    "newsroom.logins.KnownDeviceMiddleware",
    # Last, as django-axes requires: it answers locked-out login attempts.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and locks out password guessing (django-axes) ...
    "axes.backends.AxesStandaloneBackend",
    # ... before the usual username and password check.
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (newsroom/logins.py, README "Logins"). Five failed logins for one username
# from one address lock that pair out; ten from one address, whatever the usernames, lock the
# address; for 15 minutes from the last counted failure, which failures during the lockout
# do not move. An editor's known browser is held to its own failures only.
AXES_HANDLER = "newsroom.logins.LoginThrottle"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_FAILURE_LIMIT_PER_ADDRESS = env.int("AXES_FAILURE_LIMIT_PER_ADDRESS", default=10)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "newsroom.views.locked_out"
# The client's address: X-Forwarded-For is believed only from these proxies (addresses or
# networks, e.g. 10.0.0.0/8), and only as far as they appended to it.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "newsroom.logins.client_ip"

# Where a login lands when its ?next= is missing or points off the site.
LOGIN_REDIRECT_URL = "admin:index"

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        # Public pages: Jinja2 renders them roughly ten times faster than Django templates,
        # and rendering is where a news page spends its time.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "newsroom.jinja2.environment",
            "context_processors": [
                "django.template.context_processors.request",
                "stories.context_processors.navigation",
            ],
        },
    },
    {
        # The admin and its overrides (in each app's templates/ folder).
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL says otherwise (postgres://... works as is).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers go on while an editor writes; IMMEDIATE avoids lock upgrades
            # that fail with "database is locked" under concurrent writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 10,
        }
    )
    # Opening a SQLite connection (and its PRAGMAs) per request costs more than a page.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
else:
    # Reuse connections: opening one per request costs more than rendering the page.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Fail fast when the server is away (a 503 page), never hang a worker.
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Every call a request makes is bounded by the client's clock (newsroom.postgresql).
        DATABASES["default"]["ENGINE"] = "newsroom.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=2),
            # A server that vanished from the network (not one that stopped answering):
            # idle connections are probed, unacknowledged writes give up after 5 s.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": 5000,
            # The server's own limit, for commands as much as requests. Random reads
            # priced for SSDs, not the default's spinning disks: at 4 the planner reads
            # every story's search vector rather than the index (tests/stories/
            # test_search_plan.py).
            "options": "-c statement_timeout="
            f"{env.int('DATABASE_STATEMENT_TIMEOUT_MS', default=15000)}"
            f" -c random_page_cost={env.float('DATABASE_RANDOM_PAGE_COST', default=1.1)}",
        }
    )
# The longest a web worker (newsroom.wsgi) waits on one database call (connect, health
# check, query) before it answers 503, and how long it then stops trying
# (newsroom.postgresql). Commands and migrations are not bounded by it.
DATABASE_CLIENT_TIMEOUT = (
    env.float("DATABASE_CLIENT_TIMEOUT", default=1.0)
    if env.bool("NEWSROOM_WEB_WORKER", default=False)
    else 0
)
DATABASE_COOLOFF_SECONDS = env.float("DATABASE_COOLOFF_SECONDS", default=2.0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://newsroom")}
# A cache must never cost more than a miss: each Redis call waits at most this long, and
# after a failure this process skips Redis for the cool-off (newsroom.cache).
CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=0.25)
CACHE_COOLOFF_SECONDS = env.float("CACHE_COOLOFF_SECONDS", default=5)
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    options = CACHES["default"].setdefault("OPTIONS", {})
    # rediss://...?ssl_ca_certs=/path/ca.pem: TLS settings are the connection's.
    tls = {name.lower(): options.pop(name) for name in list(options) if name.startswith("SSL_")}
    CACHES["default"]["BACKEND"] = "newsroom.cache.ResilientRedisCache"
    options.update(
        {
            # Plain bytes, never pickles: Redis is not trusted to hand back code.
            "SERIALIZER": "newsroom.cache.PlainSerializer",
            # The breaker handles failures: it has to see them.
            "IGNORE_EXCEPTIONS": False,
            "SOCKET_CONNECT_TIMEOUT": CACHE_TIMEOUT_SECONDS,
            "SOCKET_TIMEOUT": CACHE_TIMEOUT_SECONDS,
            "CONNECTION_POOL_KWARGS": tls,
        }
    )
# Whole public pages for anonymous readers (stories.middleware). Edits invalidate them at
# once; the timeout only bounds how stale "Updated 2 hours ago" may read.
PAGE_CACHE_ALIAS = "default"
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)
# Public requests read the content state from the cache, not the database; it is written
# there on every edit, and read again from the database once it is this old, which bounds
# how long a failed cache write could hide an edit (stories.models.ContentVersion.shared).
SHARED_STATE_SECONDS = env.int("SHARED_STATE_SECONDS", default=5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security headers on every response. Public pages have no inline script or style at all;
# video players come from two privacy-friendly hosts, and only when a reader asks.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "https:", "data:"],
    "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Hardened by default everywhere but development (DEBUG on local hosts), DEBUG on a public
# host included. A plain-HTTP deployment behind a TLS proxy (or the benchmark on loopback)
# relaxes each one through the environment variable of its name.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEVELOPMENT)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEVELOPMENT else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEVELOPMENT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEVELOPMENT)
if DEBUG and not DEVELOPMENT:
    relaxed = [
        name
        for name, on in [
            ("SECURE_SSL_REDIRECT", SECURE_SSL_REDIRECT),
            ("SECURE_HSTS_SECONDS", SECURE_HSTS_SECONDS),
            ("SESSION_COOKIE_SECURE", SESSION_COOKIE_SECURE),
            ("CSRF_COOKIE_SECURE", CSRF_COOKIE_SECURE),
        ]
        if not on
    ]
    warnings.warn(
        f"DEBUG is on for public hosts ({', '.join(PUBLIC_HOSTS)}): error pages show tracebacks "
        "and settings (passwords masked). Relaxed hardening: "
        f"{', '.join(relaxed) or 'none'}.",
        RuntimeWarning,
        stacklevel=1,
    )
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The technical error page (DEBUG) hides passwords inside URLs too (CACHES, DATABASE_URL).
DEFAULT_EXCEPTION_REPORTER_FILTER = "newsroom.views.SecretsFilter"

SITE_NAME = env.str("SITE_NAME", default="Newsroom")
# The scheme and host used in syndication feeds, sitemaps and canonical links when a
# page is rendered outside a request (e.g. by a management command).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
