"""Settings for conflictdata, read from the environment only (see README: Configuration)."""

import datetime
from pathlib import Path

from conflictdata.env import (
    env_allowed_hosts,
    env_database,
    env_database_url,
    env_duration,
    env_networks,
    env_prefix,
    env_public_url,
    env_rate,
    env_redis_url,
    env_secret_key,
    envbool,
    envint,
    envlist,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_secret_key(
    "DJANGO_SECRET_KEY", debug=DEBUG, debug_default="insecure-key-for-local-development-only-never-in-production"
)
ALLOWED_HOSTS = env_allowed_hosts(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    # Django's admin, its site asking for a second factor (stats/second_factor.py).
    "stats.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    # API tokens kept as digests, with a lifetime, revocable one by one (README: Becoming a curator).
    "knox",
    # The admin's second factor: an authenticator app (TOTP) and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "simple_history",
    "axes",
    "csp",
    "stats",
]

MIDDLEWARE = [
    # Outermost, so that its duration covers the whole request.
    "stats.middleware.RequestLogMiddleware",
    # Errors under /api/ are JSON in every mode, debug included (an unmatched address, Django's own error pages).
    "stats.middleware.APIErrorsAsJSONMiddleware",
    "stats.middleware.PublicURLMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (django-csp; views may narrow or widen it with its decorators).
    "stats.middleware.ContentSecurityPolicyMiddleware",
    # Static files (admin, Swagger UI, Redoc) served by the app itself, compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The pages' rate limit, a 304 counted against no rate, the 503 of too many charts drawn at once (stats/limits.py);
    # before the next line, which makes the pages' 304s on their way out.
    "stats.limits.LimitsMiddleware",
    # ETag and 304 for pages without a data version of their own (API root, schema, docs, home).
    # (a 304 keeps the Content-Security-Policy its page was given: the embed's lets other sites frame it)
    "stats.middleware.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second factor, if any, the signed-in user gave in this session (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the signed-in user on every revision made through a request (admin and API alike).
    "simple_history.middleware.HistoryRequestMiddleware",
    "stats.middleware.DatabaseUnavailableMiddleware",
    # One time budget per read (READ_TIMEOUT_MS); after the line above, so that its 503 comes first.
    "stats.budget.ReadBudgetMiddleware",
    # Refuses sign-in to the admin after repeated failures (django-axes); last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins are counted in the database (shared by every process and host), for each username from each client
# network (stats.proxies.client_key: an IPv6 client by its /64, behind TRUSTED_PROXIES the forwarded one) and for each
# username from every network together (stats/signin.py):
# - 5 failures for one username from one network lock that network out of that username;
# - 20 failures for one username from anywhere lock the username out of every network it has not signed in from in
#   the last 90 days. A guesser rotating through networks gets 20 guesses in all, not 5 from each; the count is 4
#   times the network's so that a few mistyped passwords, or one network's guesser, lock no one out, and it spares
#   the networks a curator signs in from, so that a stranger cannot lock them out of those.
# A lockout lasts 15 minutes from the failure that set it: failures while locked out are not counted (a lockout a
# guesser could prolong for ever would be a denial of service), and 15 minutes bound both a guesser (20 guesses per
# username in any 15 minutes, under 2,000 a day; a burst passes a few more, as many as the requests served at once)
# and what a stranger's guessing costs a curator on a new network (a wait, not an hour;
# `manage.py axes_reset_username` lifts it at once).
SIGN_IN_FAILURES_PER_NETWORK = 5
SIGN_IN_FAILURES_PER_USERNAME = 20
AXES_FAILURE_LIMIT = "stats.signin.failure_limit"
AXES_LOCKOUT_PARAMETERS = "stats.signin.lockout_parameters"
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "stats.proxies.client_key"

# Logs go to standard output: in production one JSON object per line (a line per request from
# conflictdata.requests), in development plain text.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "stats.logs.JSONFormatter"},
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain" if DEBUG else "json",
        },
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "conflictdata.requests": {"handlers": ["stdout"], "level": "WARNING" if DEBUG else "INFO", "propagate": False},
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}


ROOT_URLCONF = "conflictdata.urls"
WSGI_APPLICATION = "conflictdata.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stats.pages.context.base_url",
            ],
        },
    },
]

# A read request (the API's and the pages', the export aside) that takes longer than this is stopped and answered
# 503 (narrower filters help), on SQLite and PostgreSQL alike (stats/budget.py); on replicas, which only read, each
# statement also carries it as PostgreSQL's statement_timeout.
READ_TIMEOUT_MS = envint("READ_TIMEOUT_MS", 10_000)

DATABASES = {"default": env_database("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Read replicas of the primary (comma-separated PostgreSQL URLs): reads go to one of them at random, writes and
# migrations to DATABASE_URL (conflictdata/routers.py). The test suite reads the primary in their place.
DATABASE_REPLICAS = []
for number, url in enumerate(envlist("DATABASE_REPLICA_URLS", default=[]), start=1):
    replica = DATABASES[f"replica{number}"] = {
        **env_database_url("DATABASE_REPLICA_URLS", url), "TEST": {"MIRROR": "default"},
    }
    if replica["ENGINE"].endswith("postgresql"):
        replica["OPTIONS"]["options"] += f" -c statement_timeout={READ_TIMEOUT_MS}"
    DATABASE_REPLICAS.append(f"replica{number}")
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["conflictdata.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: told of every password change (set_password, the admin's forms), it revokes the user's API tokens.
    {"NAME": "stats.tokens.RevokeTokensOnPasswordChange"},
]
# The admin asks every staff user for a second factor (an authenticator app's code, or a recovery code) after the
# password; without it only those who enrolled one are asked (stats/second_factor.py).
ADMIN_REQUIRE_2FA = envbool("ADMIN_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = "conflictdata"
# The device admin (superusers only) never shows a device's secret key or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The largest request body read (API bodies and admin forms alike; DRF reads JSON through `request.body`): larger
# is a 413, refused from its Content-Length before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
# The largest CSV file the admin imports in a request; larger files go through `manage.py import_figures`.
ADMIN_IMPORT_MAX_BYTES = envint("ADMIN_IMPORT_MAX_BYTES", 20_000_000)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# In development static files are found where they lie, without `collectstatic`.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG

# Behind a reverse proxy that terminates TLS and says so in X-Forwarded-Proto (see README: Deployment). With debug
# off, plain HTTP is redirected to HTTPS, except the health probe, and browsers are told to stay on HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
# The admin's messages live in the curator's session: the default storage tries a signed cookie first, and makes
# its signer on every request, the API's included.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything from the service itself, and no inline script anywhere (Swagger UI's start-up script is served apart).
# Swagger UI, Redoc and the admin style themselves inline and show data: images; Redoc runs its search in a blob:
# worker. The pages for people narrow style-src to the stylesheet (stats/pages), and the embeddable chart alone may
# be framed by other sites.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Shipped data loaded by `manage.py load_shipped_data` (and so by `make run`).
FIXTURES_DIR = BASE_DIR / "fixtures"

REST_FRAMEWORK = {
    # Token first: an anonymous write then gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "stats.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["stats.api.permissions.ModelPermissionsOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "stats.api.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["stats.api.parsers.ORJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["stats.api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "stats.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "stats.api.schema.ConflictdataAutoSchema",
    "EXCEPTION_HANDLER": "stats.api.errors.exception_handler",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Rate limits per client, off unless set: anonymous clients by address, signed-in ones by account. The counts live in
# the cache, so with REDIS_URL every worker and host shares them; without it each process counts alone.
THROTTLE_RATES = {
    "anon": env_rate("API_THROTTLE_ANON"), "user": env_rate("API_THROTTLE_USER"),
    # The CSV export's own limit, on top of the others: one export can be the whole database.
    "export": env_rate("API_THROTTLE_EXPORT"),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    f"stats.limits.{'Anon' if scope == 'anon' else 'User'}RateThrottle"
    for scope, rate in THROTTLE_RATES.items() if rate and scope in ("anon", "user")
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = THROTTLE_RATES
# The pages' and chart files' own limit for anonymous clients (stats/limits.py), off unless set, counted as the API's.
PAGES_THROTTLE_ANON = env_rate("PAGES_THROTTLE_ANON")
# How many charts are drawn at once, across every process sharing REDIS_URL (each process alone without it); past
# that, a page or chart file that needs a new drawing is a 503 with Retry-After (stats/pages/drawings.py).
CHART_DRAWINGS_AT_ONCE = envint("CHART_DRAWINGS_AT_ONCE", 2)
# The largest drawing kept in the cache, in bytes: a larger one is served, and drawn again when asked again.
CHART_CACHE_MAX_BYTES = envint("CHART_CACHE_MAX_BYTES", 2_000_000)
# API tokens (knox): sent as `Authorization: Token <key>`, stored as a SHA-512 digest, valid for API_TOKEN_TTL from
# their making (not prolonged by use), issued by `manage.py createtoken` and in the admin only.
API_TOKEN_TTL = env_duration("API_TOKEN_TTL", default=datetime.timedelta(days=90))
REST_KNOX = {"TOKEN_TTL": API_TOKEN_TTL, "AUTH_HEADER_PREFIX": "Token", "TOKEN_PREFIX": "", "AUTO_REFRESH": False}
# The service's public address (https://conflictdata.example.org): when set, the base of every absolute link it gives
# (next and previous pages, the API root, the pages' canonical and embed addresses), whatever Host a request carried.
PUBLIC_URL = env_public_url("PUBLIC_URL")
# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated); none by default, and then the
# connecting address is the client's (stats/proxies.py, README: Deployment).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
# The network the rate limits and the sign-in limit count a client by (stats.proxies.client_key): an IPv6 client by
# its /64, which one home or one server gets whole and may take any address of; an IPv4 client by its address.
IPV6_CLIENT_PREFIX = env_prefix("IPV6_CLIENT_PREFIX", 64, bits=128)
IPV4_CLIENT_PREFIX = env_prefix("IPV4_CLIENT_PREFIX", 32, bits=32)

SPECTACULAR_SETTINGS = {
    "TITLE": "conflictdata API",
    "DESCRIPTION": (
        "Conflict casualty statistics published as claims. Every figure keeps who claimed it (`claimed_by`), whose "
        "casualties it counts (`party`), what it counts (`category`), the period it covers (`period_start`, "
        "`period_end`), how it was hedged (`qualifier`) and the report it appeared in. Reads are public; writes "
        "need a curator's token (`Authorization: Token <key>`).\n\n"
        "**How to read the numbers** (what a claimant, a basis, a hedge and a band are, why `period_end` is not the "
        "day of publication, why sources disagree, how to cite): [the codebook](/about/).\n\n"
        "**Start here**: [the API in five tasks](/about/api/), each with its request and what the answer means."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "stats.api.schema.documented_extras",
                           "stats.api.schema.reference_extras"],
    # Tag each operation by its resource (figures, series, compare…), in the order a journalist needs them.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "TAGS": [
        {"name": "figures", "description": "The claims themselves: filter by who claimed what about whom, up to when; "
         "export as CSV; the latest claim of each source; every revision; deletions."},
        {"name": "compare", "description": "Claims about one quantity side by side, with how far apart they are."},
        {"name": "series", "description": "One source's cumulative count as a dated series with changes."},
        {"name": "conflicts", "description": "Wars whose casualties are counted."},
        {"name": "parties", "description": "Whose casualties are counted: armies, armed groups, civilians."},
        {"name": "sources", "description": "Who makes claims or publishes reports, and whom they speak for."},
        {"name": "categories", "description": "What is counted: killed, injured, all casualties, missing, captured."},
        {"name": "reports", "description": "The dated publications claims appear in."},
        {"name": "datasets", "description": "The compilations figures were taken from, with their licences and the "
         "credit each asks for; `datapackage.json` describes the export for data tools."},
        {"name": "auth", "description": "Curators' API tokens: revoke the one a request carries, or all of yours. "
         "Tokens are made by `manage.py createtoken` or in the admin, never from a password."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "PartyKindEnum": "stats.models.PartyKind",
        "SourceKindEnum": "stats.models.SourceKind",
    },
}

# Browser dashboards on other origins may read the API (GET only) and its ETags.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "X-Data-Version"]
