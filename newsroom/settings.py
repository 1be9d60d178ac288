"""Newsroom settings, driven by environment variables (see .env.example)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# A development key is only acceptable while DEBUG is on: a production process must
# never sign sessions with a key that is published in the repository.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (at least 50 random "
            "characters) or set DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-development-key-only-used-when-debug-is-on-0123456789"
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 random characters, e.g. the output of "
        'python -c "import secrets; print(secrets.token_urlsafe(64))"'
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Security headers are added on the way out, to cached pages too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stories.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes requires: it answers locked-out login attempts.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and locks out password guessing (django-axes) ...
    "axes.backends.AxesStandaloneBackend",
    # ... before the usual username and password check.
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed logins for one username from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "newsroom.views.locked_out"

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
            # The server's own limit, for commands as much as requests.
            "options": "-c statement_timeout="
            f"{env.int('DATABASE_STATEMENT_TIMEOUT_MS', default=15000)}",
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
# Hardened by default whenever DEBUG is off. A plain-HTTP deployment behind a TLS proxy (or
# the benchmark on loopback) relaxes each one through the environment variable of its name.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

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
