"""Settings for the IMR precedent search site.

Everything that differs between a laptop, CI and production comes from the environment, so one
settings module serves all three.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# One folder holds the SQLite database and the search index, so a deployment backs up one path.
DATA_DIR = Path(os.environ.get("IMR_DATA_DIR", BASE_DIR / "var")).resolve()
SEARCH_INDEX_DIR = DATA_DIR / "index"
# The search engine (search/backends.py, as Django's CACHES): other keys are the backend's
# options; the Whoosh backend's PATH defaults to SEARCH_INDEX_DIR.
SEARCH_BACKENDS = {"default": {"BACKEND": "search.engine.whoosh.backend.WhooshBackend"}}
# Apache Solr in SolrCloud mode, an option for a corpus beyond one machine (DEPLOYMENT.md,
# "Solr"): always configured as "solr" from the environment; IMR_SEARCH_BACKEND=solr makes it
# the default. Credentials come from the environment only.
SEARCH_BACKENDS["solr"] = {
    "BACKEND": "search.engine.solr.backend.SolrBackend",
    "URL": os.environ.get("IMR_SOLR_URL", "http://127.0.0.1:8983/solr"),
    "COLLECTION": os.environ.get("IMR_SOLR_COLLECTION", "imr_items"),
    "USERNAME": os.environ.get("IMR_SOLR_USERNAME") or None,
    "PASSWORD": os.environ.get("IMR_SOLR_PASSWORD") or None,
    "CACHE_QUERIES": os.environ.get("IMR_SOLR_CACHE_QUERIES", "1") != "0",
    # The layout of the collection a rebuild creates.
    "SHARDS": int(os.environ.get("IMR_SOLR_SHARDS", "2")),
    "REPLICAS": int(os.environ.get("IMR_SOLR_REPLICAS", "2")),
}
if os.environ.get("IMR_SEARCH_BACKEND", "whoosh") == "solr":
    SEARCH_BACKENDS["default"] = SEARCH_BACKENDS["solr"]

DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if env_bool("IMR_HTTPS"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when IMR_HTTPS is on")
    # Fine for a laptop or CI; a deployment sets DJANGO_SECRET_KEY.
    SECRET_KEY = "django-insecure-local-development-key-not-for-production"  # noqa: S105
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (and htmx from django-htmx) without a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before any view, and so before CsrfViewMiddleware parses a POST body looking for its
    # token; after AuthenticationMiddleware, since it asks whether the user is staff.
    "search.web.middleware.UploadGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "search.web.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "imrsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "search.web.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "imrsite.wsgi.application"


def database_from_env() -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        import dj_database_url

        return dj_database_url.parse(url, conn_max_age=60)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "imr.sqlite3",
        # Ingest and search run in separate processes; wait for a lock instead of failing.
        # IMMEDIATE: a transaction takes the write lock when it begins, waiting up to `timeout`
        # for another ingest's batch; a deferred one would read first and then fail at once
        # ("database is locked") when it came to write while another process held the lock.
        # synchronous stays FULL (each commit fsync'd): bulk ingest commits a batch of letters
        # at a time, so NORMAL measured no faster there and would give up durability.
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
        # Each worker keeps its connection: when the last one closes, SQLite deletes the WAL
        # index, and opening the database again must write it, which fails on a full disk.
        "CONN_MAX_AGE": None,
    }


DATABASES = {"default": database_from_env()}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the apps' folders too, so a checkout works before collectstatic has run.
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = (
    [BASE_DIR / "search" / "assets"] if (BASE_DIR / "search" / "assets").exists() else []
)

# Form bodies other than file uploads (sign-in, admin actions) are small: Django's default.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A staff upload (several letters or a zip) is refused above this, from its Content-Length,
# before any of it is read (search.web.middleware.UploadGuardMiddleware).
IMR_MAX_UPLOAD_BYTES = int(os.environ.get("IMR_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
# Uploaded files stream to a folder in the data folder, never memory or the system temp folder,
# each checked against its size limit as it arrives (search.web.uploads).
FILE_UPLOAD_HANDLERS = [
    "search.web.uploads.FileSizeLimitHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "uploads"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# A shared search link may repeat a facet parameter many times; searching caps what it uses and
# says so, so parse generously rather than answer 400.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Letters larger than this are rejected by ingest: real letters are 20-60 KB.
IMR_MAX_LETTER_BYTES = int(os.environ.get("IMR_MAX_LETTER_BYTES", 20 * 1024 * 1024))

# Where the sample letters live (tests and the demo read them; they are never copied in).
IMR_LETTERS_DIR = Path(os.environ.get("IMR_LETTERS_DIR", BASE_DIR.parent / "shared" / "letters"))

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Counters shared by every worker on the host (rate limits, sign-in attempts): diskcache
    # keeps them in SQLite, where add and incr are transactions, so concurrent workers never
    # lose a count (Django's file cache did). See search/web/throttle.py.
    "throttle": {
        "BACKEND": "search.web.throttle.CounterCache",
        "LOCATION": str(DATA_DIR / "cache" / "counters"),
        "SHARDS": 4,
        # How long a worker waits for another's write before the limit fails open.
        "DATABASE_TIMEOUT": 1.0,
        "OPTIONS": {"size_limit": 64 * 1024 * 1024},
    },
}
# Requests a minute per client on the public pages and API; 0 turns the limit off.
IMR_RATE_LIMIT = int(os.environ.get("IMR_RATE_LIMIT", 240))
IMR_LOGIN_ATTEMPTS = int(os.environ.get("IMR_LOGIN_ATTEMPTS", 5))
# How many proxies in front of the app append to X-Forwarded-For (0: use the socket address).
IMR_TRUSTED_PROXY_COUNT = int(os.environ.get("IMR_TRUSTED_PROXY_COUNT", 0))

# Security headers for every deployment; the HTTPS-only ones when IMR_HTTPS says it is served so.
# htmx runs from our own static files with eval and inline styles turned off, so the policy
# needs no 'unsafe-inline' or 'unsafe-eval'. Sent by django-csp's middleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# After signing in with no `next`, or an unsafe one (another site), staff land on the admin.
LOGIN_REDIRECT_URL = "admin:index"
IMR_HTTPS = env_bool("IMR_HTTPS")
if IMR_HTTPS:
    SECURE_SSL_REDIRECT = env_bool("IMR_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("IMR_HSTS_SECONDS", 31_536_000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_warning": {"()": "imrsite.log_filters.OneLineWarning"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("IMR_LOG_LEVEL", "WARNING")},
    "loggers": {
        # More GET/POST parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS: the 400 is on purpose,
        # so one warning line instead of an ERROR with a traceback. Every other error (other
        # django.security loggers included) is logged as before.
        "django.security.TooManyFieldsSent": {"filters": ["one_line_warning"]},
    },
}
