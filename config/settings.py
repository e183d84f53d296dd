"""Settings, all read from the environment with safe defaults.

Nothing set means production mode (``DEBUG`` off), which refuses to start without ``SECRET_KEY``: a deployment
that forgets a setting fails loudly instead of running with the development key. ``make run`` (and the Makefile's
other development targets, and the test settings) set ``DEBUG=true``: SQLite in the project folder, Celery tasks
run eagerly in-process, e-mail printed to the console. Production sets ``SECRET_KEY``, ``ALLOWED_HOSTS``,
``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG: bool = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY: str = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (production mode).")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",  # API tokens: stored hashed, expiring, revoked on password change
    "axes",  # sign-in lockout
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here: nothing is loaded from another host
    # Project apps; dependencies run one way: (dashboard, alerts, conversations) -> events -> matching -> brokers
    # -> marketplace -> accounts -> reference -> core. Apps above marketplace add to its pages through
    # marketplace.hooks.
    "core",
    "reference",
    "accounts",
    "marketplace",
    "brokers",  # service-agency members appointed by an organisation to work chosen listings; matching reads it
    "matching",
    "events",
    "catalogues",  # curated, ordered collections of postings (a conference's catalogue): page, XLSX, printable
    "auctions",  # achievement auctions: lots, approved bidders, bids under a row lock, closing by a periodic task
    "calls",  # open calls: an organiser's call collects needs; institutions propose; awards become agreements
    "conversations",  # message threads of matches and enquiries to a posting's owner; reads matching and marketplace
    "dashboard",  # each role's home (/home/, where login lands) and the statistics page; reads every app
    "alerts",  # saved searches, follows and their e-mail digest; reads marketplace and matching, nothing reads it
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.page_cache.KeptPageMiddleware",  # a visitor's kept page, before sessions and the rest (core.page_cache)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.language.PreferredLanguageMiddleware",  # a sign-in switches to the user's language (cookie)
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.audit.AuditMiddleware",  # the audit log: exports and staff actions through the API, each request's address
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

# --- Sign-in lockout (accounts/lockout.py) -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]  # one e-mail from one address: no locking others out
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_of"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
# Sign-up (accounts/services.py): the e-mailed link activating a new account works this many days, once; an address
# gets at most one sign-up e-mail (link, "someone tried") per interval, whatever the requests.
ACCOUNTS_VERIFY_DAYS: int = env.int("ACCOUNTS_VERIFY_DAYS", default=3)
ACCOUNTS_MAIL_INTERVAL_SECONDS: int = env.int("ACCOUNTS_MAIL_INTERVAL_SECONDS", default=60)

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.current_membership",
                "conversations.context_processors.unread_messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database -------------------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions avoid "database is locked" upgrades when the dev server and eager tasks write.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users ----------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "home"

# --- Internationalisation -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The empty choice of the list pages' filters, in the reader's language (django-filter's default is a row of dashes).
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("any")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")  # where collectstatic writes
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG  # development: serve from the finders, no collectstatic needed
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail ---------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="techmatch <noreply@techmatch.local>")

# --- Celery ---------------------------------------------------------------------------------------------------
# No broker configured: tasks run eagerly in the calling process, so the product works without Redis.
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Eager tasks queued by ``core.tasks.enqueue`` (matching after a publication, e-mail) run in a background thread, so
# that a request does not wait for them (off in the test settings: the suite stays deterministic).
CELERY_EAGER_IN_BACKGROUND: bool = env.bool("CELERY_EAGER_IN_BACKGROUND", default=CELERY_TASK_ALWAYS_EAGER)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND: str | None = (
    env.str(
        "CELERY_RESULT_BACKEND",
        default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
    )
    or None
)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE: str = env.str("CELERY_QUEUE", default="celery")
# A request that queues a task waits at most about a second for a broker that does not answer
# (``core.tasks.enqueue``): what it queued is kept in the database too (the matching outbox), so nothing is lost.
CELERY_ENQUEUE_WAIT: float = env.float("CELERY_ENQUEUE_WAIT", default=1.0)
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
# A hung broker (connects, never answers) times out after 10 s (above the workers' 1 s BRPOP); requests do not wait
# for it (``core.tasks.enqueue`` waits CELERY_ENQUEUE_WAIT), and no connection retries (the outbox retries instead).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1.0, "socket_timeout": 10.0, "max_retries": 0}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1.0
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.4}
}

# --- REST framework -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "knox.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",  # drf-spectacular's, documenting every error (see there)
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Requests per client: anonymous callers by address, users by account; the token endpoint (a password guess
    # each) far less. Counted in the cache: set CACHE_URL to Redis so that every web worker shares the counts.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "auth": env.str("API_THROTTLE_AUTH", default="10/minute"),
    },
    # Reverse proxies in front of the application server: a client's address is the one the last of them appended
    # to X-Forwarded-For (0: the peer's address; a client's own X-Forwarded-For is never believed).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# API tokens (django-rest-knox): stored as hashes, valid API_TOKEN_DAYS, at most API_TOKENS_PER_USER at once (the
# oldest go first), all revoked when the password changes; sent as "Authorization: Token <key>".
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
API_TOKENS_PER_USER: int = env.int("API_TOKENS_PER_USER", default=5)
# The cache (API throttling counts, the explaining of matches asked for by pages): Redis when CACHE_URL names one
# (production, with several web workers), else this process's memory.
CACHE_URL: str = env.str("CACHE_URL", default="")
CACHES = {
    "default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": CACHE_URL}  # Django's, one client a pool
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Sessions read from the shared cache, written through to the database (no query per member's request); with a
# process's own memory they stay in the database alone (a session ended in one process would live on in another's).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if CACHE_URL else "django.contrib.sessions.backends.db"
SPECTACULAR_SETTINGS = {
    "TITLE": "Technology achievement matchmaking API",
    "DESCRIPTION": "Achievements, needs, matches and events of the technology market.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets named alike in several apps ("status", "kind"): each gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PostingStatusEnum": "marketplace.models.Status",
        "CollectionKindEnum": "catalogues.models.Collection.Kind",
        "CollectionStatusEnum": "catalogues.models.Collection.Status",
        "AuctionStatusEnum": "auctions.models.Auction.Status",
        "LotStatusEnum": "auctions.models.Lot.Status",
        "BidderRegistrationStatusEnum": "auctions.models.BidderRegistration.Status",
        "CallStatusEnum": "calls.models.Call.Status",
        "CallWindowEnum": "calls.models.Window",
        "ProposalStatusEnum": "calls.models.Proposal.Status",
        "SchedulingModeEnum": "events.models.SchedulingMode",
        "RequestModeEnum": "events.models.RequestMode",
        "AgendaStatusEnum": "events.models.AgendaStatus",
        "SchedulePlanKindEnum": "events.models.SchedulePlan.Kind",
        "SchedulePlanStatusEnum": "events.models.SchedulePlan.Status",
    },
}

# --- Headers every response carries ---------------------------------------------------------------------------
# Content Security Policy (django-csp): everything from this host only, no inline script (the pages have none; the
# Swagger UI's set-up script is served as a file); inline style attributes stay allowed (score bars set a width).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features the product never uses (django-permissions-policy).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in ("accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment",
                    "usb", "interest-cohort")
}  # fmt: skip

# --- Security in production -----------------------------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # HTTPS only, for a year, subdomains included (set SECURE_HSTS_SECONDS=0 while trying a deployment out).
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Product settings -----------------------------------------------------------------------------------------
# The product's address as people reach it (https://tech.example.cn), for links in e-mails written outside a request.
SITE_URL: str = env.str("SITE_URL", default="")
# Imports: records per file, how large an XLSX may inflate (a zip bomb is refused before it is read), and how many
# errors are listed (the rest counted).
IMPORT_MAX_ROWS: int = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_UPLOAD_MB: int = env.int("IMPORT_MAX_UPLOAD_MB", default=20)  # a file uploaded on a page or in admin
IMPORT_MAX_XLSX_MB: int = env.int("IMPORT_MAX_XLSX_MB", default=200)
IMPORT_MAX_ERRORS: int = env.int("IMPORT_MAX_ERRORS", default=200)
# An import that takes longer is stopped and writes nothing (200,000 short rows take about ... s here).
IMPORT_MAX_SECONDS: int = env.int("IMPORT_MAX_SECONDS", default=900)
# Publishing a posting matches it at once (a Celery task enqueued on commit).
MATCHING_ON_PUBLISH: bool = env.bool("MATCHING_ON_PUBLISH", default=True)
# A full rebuild every night at 02:30 (Celery beat), when on.
# Postings per tokenising chunk of a full rebuild (one Celery task each).
MATCHING_CHUNK_SIZE: int = env.int("MATCHING_CHUNK_SIZE", default=2000)
# Rows of one side (needs or achievements) per scoring block of a rebuild on the workers (matching/fanout.py).
MATCHING_REBUILD_BLOCK: int = env.int("MATCHING_REBUILD_BLOCK", default=2000)
MATCHING_NIGHTLY_REBUILD: bool = env.bool("MATCHING_NIGHTLY_REBUILD", default=False)
# Incremental matching (docs/matching.md): every full run saves the fitted engine here, and workers keep it in memory
# to match each publication without a re-fit. Workers on several machines share it (or each refits once).
MATCHING_STATE_DIR: Path = Path(env.str("MATCHING_STATE_DIR", default=str(BASE_DIR / "var" / "matching-state")))
# The refit rule: a full rebuild is enqueued when the records added since the fit exceed this share of it, or when
# tokens the fit never saw, recurring among the added records, exceed this share of their weight; neither applies
# below MATCHING_REFIT_MIN added records. A batch larger than the share is matched by a full run at once.
MATCHING_REFIT_ADDED: float = env.float("MATCHING_REFIT_ADDED", default=0.10)
MATCHING_REFIT_UNSEEN: float = env.float("MATCHING_REFIT_UNSEEN", default=0.10)
MATCHING_REFIT_MIN: int = env.int("MATCHING_REFIT_MIN", default=20)
# A run still pending or running after this long is taken for dead (its worker was killed) and marked failed: a full
# rebuild after MATCHING_RUN_TIMEOUT_MINUTES, a run matching publications (seconds when well) after
# MATCHING_INCREMENTAL_TIMEOUT_MINUTES. What such a run was matching stays in the outbox and is matched again.
MATCHING_RUN_TIMEOUT_MINUTES: int = env.int("MATCHING_RUN_TIMEOUT_MINUTES", default=120)
MATCHING_INCREMENTAL_TIMEOUT_MINUTES: int = env.int("MATCHING_INCREMENTAL_TIMEOUT_MINUTES", default=10)
# Publications still waiting for their matching this long after they were published (the broker was down, the
# message or the run was lost) are matched by the sweep (Celery beat, every minute), in one batch.
MATCHING_PENDING_GRACE_SECONDS: int = env.int("MATCHING_PENDING_GRACE_SECONDS", default=60)
# A full rebuild keeping more pairs than this explains each record's first MATCHING_EXPLAIN_FIRST matches as it runs
# and the rest afterwards on the workers, or when first shown (a page waits MATCHING_EXPLAIN_WAIT s at most for a
# worker): explaining costs about 0.1 ms a pair, millions of pairs are kept and few are ever opened.
MATCHING_EXPLAIN_ALL_BELOW: int = env.int("MATCHING_EXPLAIN_ALL_BELOW", default=200_000)
MATCHING_EXPLAIN_FIRST: int = env.int("MATCHING_EXPLAIN_FIRST", default=3)
MATCHING_EXPLAIN_WAIT: float = env.float("MATCHING_EXPLAIN_WAIT", default=2.0)
CELERY_BEAT_SCHEDULE = {
    # Needs past their deadline are closed just after midnight (CELERY_TIMEZONE), before the nightly rebuild.
    "daily-need-deadlines": {
        "task": "marketplace.tasks.need_expire_overdue_task",
        "schedule": crontab(hour=0, minute=5),
    },
    # Publications whose matching was delayed or lost (broker down, a worker killed) and runs that died.
    "matching-pending-sweep": {
        "task": "matching.tasks.match_pending_sweep_task",
        "schedule": 60.0,
    },
    # The alerts' digest: daily alerts every morning, weekly ones on Mondays (CELERY_TIMEZONE); one e-mail per user.
    "alerts-digest": {
        "task": "alerts.tasks.digests_send_task",
        "schedule": crontab(hour=7, minute=30),
    },
    # Auction lots whose bidding time is over are closed (sold or unsold); a lot missed while no worker ran is
    # closed by the next run.
    "auctions-close-due-lots": {"task": "auctions.tasks.close_due_lots_task", "schedule": 5.0},
    # Docking events' meeting requests: those past their event's deadline expire; participants who booked nothing
    # are reminded once before it.
    "events-meeting-requests": {"task": "events.tasks.meeting_requests_sweep_task", "schedule": 600.0},
    # Import jobs whose message was lost or whose worker died.
    "import-jobs-sweep": {
        "task": "marketplace.tasks.import_jobs_sweep_task",
        "schedule": 300.0,
    },
    **(
        {
            "nightly-full-rebuild": {
                "task": "matching.tasks.full_rebuild_task",
                "schedule": crontab(hour=2, minute=30),
                "kwargs": {"trigger": "schedule"},
            }
        }
        if MATCHING_NIGHTLY_REBUILD
        else {}
    ),
}
# Auctions: a bid within this many seconds of a lot's end moves the end to this many seconds after the bid.
AUCTION_EXTEND_WINDOW_SECONDS: int = env.int("AUCTION_EXTEND_WINDOW_SECONDS", default=120)
AUCTION_EXTEND_BY_SECONDS: int = env.int("AUCTION_EXTEND_BY_SECONDS", default=120)
# Postings of verified organisations publish without moderation when this is on.
MARKETPLACE_VERIFIED_AUTO_PUBLISH: bool = env.bool("MARKETPLACE_VERIFIED_AUTO_PUBLISH", default=True)
# Conversations (conversations/moderation.py): messages a user may send per minute and per day, enquiries to posting
# owners a user may start per day, and the least time between two e-mails about one thread to one recipient.
CONVERSATIONS_MESSAGES_PER_MINUTE: int = env.int("CONVERSATIONS_MESSAGES_PER_MINUTE", default=6)
CONVERSATIONS_MESSAGES_PER_DAY: int = env.int("CONVERSATIONS_MESSAGES_PER_DAY", default=200)
CONVERSATIONS_ENQUIRIES_PER_DAY: int = env.int("CONVERSATIONS_ENQUIRIES_PER_DAY", default=10)
CONVERSATIONS_MAIL_INTERVAL_MINUTES: int = env.int("CONVERSATIONS_MAIL_INTERVAL_MINUTES", default=60)
