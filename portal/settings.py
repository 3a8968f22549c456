"""Settings for the IA-cluster portal: one file, driven by the environment.

Defaults are safe for local development (SQLite, a filesystem Celery broker, console
e-mail). Production sets ``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS``,
``DATABASE_URL``, ``CELERY_BROKER_URL`` and ``CACHE_URL`` (or ``REDIS_URL``); every security
setting then follows.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", True)
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105 - dev default, refused when DEBUG is off # nosec B105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "auditlog",
    "csp",
    "portal",
    "applications",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Permissions-Policy everywhere, Cache-Control: no-store for signed-in users (static files
    # never reach it: WhiteNoise answers them above).
    "portal.middleware.PrivacyHeadersMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Jury pages in English by default, then the one TOTP gate (both in process_view).
    "review.middleware.JuryLanguageMiddleware",
    "applications.mfa.TotpGateMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A persistent connection is checked before each request reuses it: after a
        # PostgreSQL restart the next request reconnects instead of failing.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, whose health check polls the connection's socket instead of sending a
    # SELECT 1 before each request (portal/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "portal.postgresql"
    # No JIT compilation: the portal's queries are short, and PostgreSQL compiled the jury
    # progress page's staffing count (planned above its 100 000 cost threshold at 10 000 bids)
    # for 42 ms of a 70 ms query. ``PORTAL_DATABASE_JIT=on`` gives it back.
    # Random reads priced as on SSD or cached data (PostgreSQL's default, 4, assumes spinning
    # disks): with 4 the planner hashed whole tables for a page's thousand rows, and the long
    # pages at 10 000 bids took 20-25 % longer. ``PORTAL_DATABASE_RANDOM_PAGE_COST=`` (empty)
    # keeps the server's own setting.
    database_options = [f"-c jit={os.environ.get('PORTAL_DATABASE_JIT', 'off')}"]
    if random_page_cost := os.environ.get("PORTAL_DATABASE_RANDOM_PAGE_COST", "1.1"):
        database_options.append(f"-c random_page_cost={random_page_cost}")
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", " ".join(database_options))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Autosave writes concurrently: wait for the lock rather than fail at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Transactions take the write lock when they begin: two workers that both read then
    # write would otherwise deadlock ("database is locked" at once, no waiting).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a real Celery worker process in the tests sees the data;
    # one per test process, so that concurrent test runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"portal_test_{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_settings(url: str | None) -> dict[str, dict[str, object]]:
    """One cache shared by every gunicorn worker and Celery process: Redis at ``url`` when it
    is set, otherwise the database (the ``portal_cache`` table, created by the migration
    ``portal/migrations/0001_cache_table``). allauth's login throttling (ACCOUNT_RATE_LIMITS)
    counts in it, so three workers give an attacker no more attempts than one. Redis down:
    the database cache stands in (``portal.cache.FallbackRedisCache``)."""
    if url:
        # While Redis is down the database cache stands in (portal.cache); a dead Redis
        # must cost a request a fraction of a second, not the socket's default minutes.
        return {
            "default": {
                "BACKEND": "portal.cache.FallbackRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "portal",
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }


CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
CACHES = cache_settings(CACHE_URL)
# Sessions stay in the database; with Redis they are read from the cache first. With the
# database cache that would only add queries, so the plain database backend stays.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHE_URL
    else "django.contrib.sessions.backends.db"
)

# Django's and allauth's backends, loading a session's user with their juror profile in one
# query (portal.users.load_session_user): every request reads both.
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "portal.users.SessionUserModelBackend",
    "portal.users.SessionUserAllauthBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The portal's name as people read it: PDF authors, the receipts' seal, e-mail subjects.
PORTAL_NAME = os.environ.get("PORTAL_NAME", "IA-cluster portal")

# django-allauth: e-mail login, mandatory verification, throttled login attempts.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Sign-up also asks for the first and last name; after sign-in, an invitee is taken to their
# invitation (portal/accounts.py).
ACCOUNT_SIGNUP_FORM_CLASS = "portal.accounts.SignupForm"
ACCOUNT_ADAPTER = "portal.accounts.PortalAccountAdapter"
ACCOUNT_USER_DISPLAY = "portal.users.display_name"
# Every e-mail's subject starts "[IA-cluster portal] …": the portal's own (portal.mail),
# allauth's (not the host name) and the error reports to ADMINS.
EMAIL_SUBJECT_PREFIX = f"[{PORTAL_NAME}] "
ACCOUNT_EMAIL_SUBJECT_PREFIX = EMAIL_SUBJECT_PREFIX
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
# Counted in the shared cache (CACHES above), not per process.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PORTAL_NAME

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("PORTAL_MEDIA_ROOT", VAR_DIR / "media"))
# Uploads are never served by URL: views stream them after a permission check.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 5_242_880
# Hard cap on any attachment; a call may set a lower one.
PORTAL_MAX_UPLOAD_BYTES = int(os.environ.get("PORTAL_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# A mail server that accepts the connection and then hangs must not hold a worker for ever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "IA-cluster portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The sealing certificate and key that sign every receipt (PAdES, portal/sealing.py): PEM
# files; the key's passphrase, if any, in PORTAL_SEALING_KEY_PASSPHRASE. `make run` and the
# tests generate a throwaway self-signed pair (`manage.py generate_sealing_certificate`);
# production installs the organisation's own seal. Without them, receipts are not signed
# (an error is logged and `manage.py check` warns).
PORTAL_SEALING_CERT = Path(os.environ.get("PORTAL_SEALING_CERT", VAR_DIR / "sealing" / "cert.pem"))
PORTAL_SEALING_KEY = Path(os.environ.get("PORTAL_SEALING_KEY", VAR_DIR / "sealing" / "key.pem"))
PORTAL_SEALING_KEY_PASSPHRASE = os.environ.get("PORTAL_SEALING_KEY_PASSPHRASE", "")
# The largest file the public receipt verification page reads.
PORTAL_RECEIPT_VERIFY_MAX_BYTES = 2 * 1024 * 1024

# Celery: Redis when CELERY_BROKER_URL is set, otherwise a filesystem broker (no server).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A message a worker took and never acknowledged (the worker was killed: acks late) is
    # delivered again after this long: longer than the longest task (an assignment solve is
    # capped at 2 min, a bids.zip export takes minutes) and than the longest retry countdown
    # (portal.mail: 25 min), shorter than an administrator's patience.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1800"))
    }
# A request publishing a task waits at most a few seconds for a dead broker (portal.queue).
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-way is redelivered; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # results live in the database rows the tasks update
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Jurors with unfinished reviews: 3 days before the review deadline and on the day.
    "send-review-reminders": {
        "task": "review.tasks.task_send_review_reminders",
        "schedule": 3600.0,
    },
    # Coordinators of bids not submitted, or with changes not submitted, before the deadline.
    "send-deadline-reminders": {
        "task": "applications.tasks.task_send_deadline_reminders",
        "schedule": 3600.0,
    },
    # E-mails and decision letters whose task message was lost (the broker was down when the
    # request committed): published again once it is back (portal.queue).
    "requeue-stalled-mail": {"task": "portal.mail.task_requeue_stalled_mail", "schedule": 300.0},
    "requeue-undelivered-receipts": {
        "task": "applications.tasks.task_requeue_undelivered_receipts",
        "schedule": 300.0,
    },
    "requeue-stalled-letters": {
        "task": "review.tasks.task_requeue_stalled_letters",
        "schedule": 300.0,
    },
}
# Days before a call's deadline at which coordinators are reminded (applications.services.
# deadline_reminders): each threshold at most once per bid.
DEADLINE_REMINDER_DAYS = [
    int(days) for days in os.environ.get("DEADLINE_REMINDER_DAYS", "3,1").split(",") if days.strip()
]
# E-mails are sent by this task module (portal.mail); autodiscovery only finds tasks.py.
CELERY_IMPORTS = ["portal.mail"]
# Queues by kind of work, so that hosts can be given the work they suit
# (docs/operations.md, "Running on several machines"). A worker started without -Q reads
# every queue listed here, so one worker still runs everything (`make run`, compose).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("celery", "ranking", "assignment", "exports", "mail")
]
CELERY_TASK_ROUTES = {
    "review.tasks.task_run_ranking": {"queue": "ranking"},
    "review.tasks.task_ranking_chunk": {"queue": "ranking"},
    "review.tasks.task_compute_assignment": {"queue": "assignment"},
    "review.tasks.task_build_export": {"queue": "exports"},
    "review.tasks.task_send_decision_letter": {"queue": "mail"},
    "review.tasks.task_send_review_reminders": {"queue": "mail"},
    "portal.mail.task_send_templated_mail": {"queue": "mail"},
    "applications.tasks.task_deliver_receipt": {"queue": "mail"},
    "applications.tasks.task_send_deadline_reminders": {"queue": "mail"},
    "review.tasks.task_send_import_invitations": {"queue": "mail"},
}
# Every absolute link in e-mails (portal.mail.absolute_url): scheme, host and port the
# portal is reached at. `make run` sets it from PORT.
PORTAL_SITE_URL = os.environ.get("PORTAL_SITE_URL", "http://127.0.0.1:8000")

# The legal pages (portal.legal, /legal/…): who publishes and hosts the portal, whom people
# write to about their personal data and the accessibility. The defaults name no real body:
# a production portal sets them (``manage.py check --deploy`` warns while they are unset).
PORTAL_PUBLISHER_NAME = os.environ.get(
    "PORTAL_PUBLISHER_NAME", "IA-cluster portal (operator not set)"
)
PORTAL_PUBLISHER_ADDRESS = os.environ.get("PORTAL_PUBLISHER_ADDRESS", "")
PORTAL_PUBLISHER_SIRET = os.environ.get("PORTAL_PUBLISHER_SIRET", "")
PORTAL_PUBLICATION_DIRECTOR = os.environ.get("PORTAL_PUBLICATION_DIRECTOR", "")
PORTAL_CONTACT_EMAIL = os.environ.get("PORTAL_CONTACT_EMAIL", "contact@localhost")
PORTAL_HOST_NAME = os.environ.get("PORTAL_HOST_NAME", "")
PORTAL_HOST_ADDRESS = os.environ.get("PORTAL_HOST_ADDRESS", "")
PORTAL_DPO_EMAIL = os.environ.get("PORTAL_DPO_EMAIL", "dpo@localhost")
PORTAL_ACCESSIBILITY_EMAIL = os.environ.get("PORTAL_ACCESSIBILITY_EMAIL", "")  # else contact
# Years a call's bids, reviews and decision are kept after its results are published; years
# an account unused since its last sign-in is kept (stated on the personal data page).
PORTAL_CALL_RETENTION_YEARS = int(os.environ.get("PORTAL_CALL_RETENTION_YEARS", "10"))
PORTAL_ACCOUNT_RETENTION_YEARS = int(os.environ.get("PORTAL_ACCOUNT_RETENTION_YEARS", "3"))
# The day the accessibility statement was last drawn up (ISO date).
PORTAL_ACCESSIBILITY_STATEMENT_DATE = os.environ.get(
    "PORTAL_ACCESSIBILITY_STATEMENT_DATE", "2026-12-01"
)

# Security: everything on unless DEBUG.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
CSRF_COOKIE_HTTPONLY = False  # autosave's JavaScript reads the token from the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A strict policy: no inline script, style, style attribute or event handler anywhere (a test
# scans templates/). data: images are Bootstrap's own icons (form controls, the navbar toggler)
# and the TOTP QR code allauth draws.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "script-src-attr": [NONE],
        "style-src": [SELF],
        "style-src-attr": [NONE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# No page uses a device or sensor: every feature off (portal.middleware).
PORTAL_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), "
    "serial=(), usb=(), xr-spatial-tracking=()"
)
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The local demo may let visitors try the jury pages without TOTP, behind a banner.
# Never in production: it is only honoured while DEBUG is on.
PORTAL_DEMO_RELAX_MFA = DEBUG and env_bool("PORTAL_DEMO_RELAX_MFA", False)

# One console handler for everything; a refused request (4xx, django.security) is one line
# without traceback, a server error keeps it (portal.log.OneLineFormatter). "django" logs here
# through the root only (Django's own console and mail_admins handlers are dropped).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "one_line": {
            "()": "portal.log.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "one_line"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}
