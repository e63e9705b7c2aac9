"""The console's one settings module, driven by the environment.

Every variable is listed, with its default, in `.env.example`. Values come from the process
environment first, then from a `.env` file in the project root (the environment wins), and a
value that cannot be read (`DEBUG=maybe`, a malformed `DATABASE_URL`) stops the start with a
message naming the variable. The defaults run a local console with nothing to install:
SQLite in the project folder, Daphne serving the static files itself.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

# The development key only ever signs sessions of a console on DEBUG; production must set its own.
DEVELOPMENT_SECRET_KEY = "wiretap-development-only-never-use-in-production"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _dotenv(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (comments and blank lines skipped, quotes stripped)."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("\"'")
    return values


_DOTENV = _dotenv(BASE_DIR / ".env")


def env(name: str, default: str) -> str:
    """A variable from the environment, else from .env, else the default."""
    return os.environ.get(name, _DOTENV.get(name, default))


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "true" if default else "false").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = env(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}")
    return number


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY", "") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY or (not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is false: a long random string, e.g. from "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

_DATABASE_URL = env("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# Daphne serves requests on this many threads of each process, each request on one alone
# (console/handlers.py); a request beyond them waits for one. Each keeps its database connection
# for DATABASE_CONN_MAX_AGE seconds, so a process holds at most this many.
WIRETAP_REQUEST_THREADS = env_int("WIRETAP_REQUEST_THREADS", 8)
try:
    DATABASES = {"default": dj_database_url.parse(_DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
                                                  conn_health_checks=True)}
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent requests (Daphne runs views in threads) queue for the write lock instead of
    # failing: transactions take it when they begin, and wait up to 20 s for it; WAL lets
    # readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

INSTALLED_APPS = [
    # First, so that `manage.py runserver` is Daphne's (ASGI) runserver too.
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "designer",
    "tracer",
]

MIDDLEWARE = [
    # Outermost, so that whatever answers an error under /api/ (Django's DEBUG pages included),
    # the answer is JSON.
    "console.middleware.api_answers_json",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Anonymous visitors reach only the views marked login_not_required (log in, sign up);
    # the JSON API is marked too and answers 401 itself instead of redirecting.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "console.urls"
ASGI_APPLICATION = "console.asgi.application"
WSGI_APPLICATION = "console.wsgi.application"

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
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# The canvas reads the token from the cookie and sends it as X-CSRFToken on every write.
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "console.views.csrf_failure"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
X_FRAME_OPTIONS = "DENY"
# The pages load scripts, styles, icons and fonts from this site only, and talk to it only (the
# API and the run's WebSocket); nothing inline runs: page data comes through json_script. The one
# data: image is the designer's minimap, a thumbnail the page draws itself (cy.png).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "out" / "static")))
# Daphne serves /static/ itself (console/asgi.py) unless a reverse proxy serves STATIC_ROOT.
SERVE_STATIC = env_bool("SERVE_STATIC", True)
# ES modules must arrive as JavaScript; some systems' mime tables do not know .mjs.
mimetypes.add_type("text/javascript", ".mjs")

# A topology of 300 components is about 100 KB of JSON; leave room for large state machine
# definitions and filter policies (the API answers 413 past this).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The example topologies that the designer offers as templates.
EXAMPLES_DIR = BASE_DIR / "examples"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Runs (tracer/). Without REDIS_URL, everything lives in the console's process: Celery's broker is
# kombu's memory transport, a worker runs in a thread (console/celery.py) and the WebSocket groups
# are in memory. With it, Redis carries both, and `make worker` processes run the simulations.
REDIS_URL = env("REDIS_URL", "")
CELERY_WORKER_EMBEDDED = env_bool("CELERY_WORKER_EMBEDDED", not REDIS_URL) if env("CELERY_WORKER_EMBEDDED", "") \
    else not REDIS_URL
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "") or REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": 0.05} if CELERY_BROKER_URL == "memory://" else {}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# With the task acknowledged late (tracer/tasks.py), a worker reserves one run at a time; others go to idle workers.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A channel's queue holds this many messages; past it channels_redis drops new ones silently (one
# queue for all the consumers of a Daphne process; a message is one write's events). A viewer that
# misses events reads them from the replay log (tracer/follower.py), but a deep queue keeps that rare.
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 2000)
if REDIS_URL:
    # A consumer waits for its next message with BZPOPMIN blocking 5 s (channels_redis), while
    # redis-py gives up on any read after 5 s by default: on a loaded machine the answer came
    # just late, the read raised TimeoutError, and the page's stream died with its consumer.
    # The read now waits well past the block.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
        "hosts": [{"address": REDIS_URL, "socket_timeout": 30}], "capacity": CHANNEL_CAPACITY, "expiry": 60}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "tracer.layers.EmbeddedChannelLayer",
                                  "CONFIG": {"capacity": CHANNEL_CAPACITY}}}
# Stored traces per run beyond which clean completed traces are sampled (failed ones never are).
WIRETAP_TRACE_CAP = env_int("WIRETAP_TRACE_CAP", 100_000)
# A running run's worker writes a heartbeat this often (s); a run whose heartbeat is older than the
# timeout is marked failed by the check every worker runs at start and every WIRETAP_REPAIR_EVERY_S.
WIRETAP_HEARTBEAT_S = env_int("WIRETAP_HEARTBEAT_S", 5)
WIRETAP_HEARTBEAT_TIMEOUT_S = env_int("WIRETAP_HEARTBEAT_TIMEOUT_S", 60)
WIRETAP_QUEUE_TIMEOUT_S = env_int("WIRETAP_QUEUE_TIMEOUT_S", 900)
WIRETAP_REPAIR_EVERY_S = env_int("WIRETAP_REPAIR_EVERY_S", 300)
# Limits per run (tracer/limits.py; README "Limits"). Refused at start: the workload's expected
# messages over every source, its peak rate (messages a second, every source together), its
# duration + drain (virtual seconds), and the size of its messages. Stopped while running: stored
# traces, replay-log events, megabytes stored, and (a guard) messages accepted past
# WIRETAP_MAX_MESSAGES. The defaults keep a classroom on a 2-core machine safe: a run at the
# limits stores at most some 270 MB and its worker needs 280-460 MB of memory (docs/benchmarks.md,
# "Runs at the limits").
WIRETAP_MAX_MESSAGES = env_int("WIRETAP_MAX_MESSAGES", 50_000, minimum=1)
WIRETAP_MAX_RATE = env_int("WIRETAP_MAX_RATE", 5_000, minimum=1)
WIRETAP_MAX_VIRTUAL_S = env_int("WIRETAP_MAX_VIRTUAL_S", 21_600, minimum=1)
# A message's payload and attributes as JSON, in KB (SQS, SNS and EventBridge take up to 256 KB).
WIRETAP_MAX_MESSAGE_KB = env_int("WIRETAP_MAX_MESSAGE_KB", 64, minimum=1)
WIRETAP_MAX_STORED_TRACES = env_int("WIRETAP_MAX_STORED_TRACES", 100_000, minimum=1)
WIRETAP_MAX_RUN_EVENTS = env_int("WIRETAP_MAX_RUN_EVENTS", 250_000, minimum=10)
WIRETAP_MAX_RUN_MB = env_int("WIRETAP_MAX_RUN_MB", 256, minimum=1)
# Quotas per user of stored megabytes: their topologies' versions, and their runs (replay logs and
# traces). Checked when saving a version and when starting a run; a running run stops at the quota.
WIRETAP_QUOTA_TOPOLOGIES_MB = env_int("WIRETAP_QUOTA_TOPOLOGIES_MB", 100, minimum=1)
WIRETAP_QUOTA_RUNS_MB = env_int("WIRETAP_QUOTA_RUNS_MB", 1_024, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # Django's own loggers pass their records to the root handler instead of printing them again.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
