"""Settings shared by every environment, read from environment variables (django-environ)."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "axes",
    "csp",
    "django_celery_beat",
    "core",
    "accounts",
    "custody",
    "lending",
    # Above lending, in layer order: their ready() adds their steps to the daily batch.
    "disclosure",
    "promotion",
    "compliance",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.logging.RequestIdMiddleware",
    "core.middleware.RefuseNulBytesMiddleware",
    "core.middleware.JsonBodyMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A random cookie per browser, for the referral anti-abuse check (accounts.devices).
    "accounts.middleware.DeviceCookieMiddleware",
    # The language: the signed-in user's choice (see accounts.middleware.UserLanguageMiddleware),
    # else the language cookie, else the browser's Accept-Language. No URL prefixes: the
    # API and the custodian's callbacks keep their paths.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "promotion.middleware.CampaignLandingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
    # AxesMiddleware must be last: it turns lockouts raised below it into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.navigation",
                "lending.context_processors.platform_terms",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
# Embedded default is SQLite in WAL mode with IMMEDIATE transactions, so a writer takes
# the write lock when its transaction begins instead of failing on upgrade later.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            ),
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_config(config: dict) -> dict:
    """A CACHES entry from django-environ's cache_url(). Redis goes through
    core.cache.RedisCache (a Redis outage is a 503 or a fail-open, never a 500) with
    short connect and read timeouts: redis-py's default waits forever on an unreachable
    host, and every request that touches a rate limit would wait with it."""
    if config.get("BACKEND") != "django.core.cache.backends.redis.RedisCache":
        return config
    timeout = env.float("CACHE_SOCKET_TIMEOUT", default=0.5)
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    return {
        **config,
        "BACKEND": "core.cache.RedisCache",
        "OPTIONS": {**options, **config.get("OPTIONS", {})},
    }


CACHES = {"default": cache_config(env.cache_url("CACHE_URL", default="locmemcache://"))}

# --- Auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:dashboard"

# django-allauth: email login, mandatory verification by code, TOTP MFA, headless app API.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Failed logins: django-axes locks a (login, IP) pair after AXES_FAILURE_LIMIT failures,
# and accounts.lockout caps failures on one login across IPs (LOGIN_ACCOUNT_FAILURE_CEILING,
# below). allauth limits failures per IP across logins; no allauth limit is per login
# alone, or anyone who knows an address could lock its owner out.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip",
    "signup": "20/m/ip",
    # A new user who signs in again before entering the code gets a fresh one, not an error;
    # five an hour per address still stops anyone using signup to flood an inbox.
    "confirm_email": "5/60m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
ACCOUNT_ADAPTER = "accounts.account_adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[P2P Lending] "
# Mail the owner on every security change (password, MFA, email); the adapter audits them.
ACCOUNT_EMAIL_NOTIFICATIONS = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "P2P Lending"
# Accept the code of the neighbouring 30-second periods too: phones drift. A code still
# works only once (allauth remembers used codes for a period).
MFA_TOTP_TOLERANCE = 1
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_TOKEN_STRATEGY = "accounts.api.authentication.OneQuerySessionTokenStrategy"
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": "/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": "/accounts/password/reset/key/{key}/",
    "account_signup": "/accounts/signup/",
}
USERSESSIONS_TRACK_ACTIVITY = False

# django-axes: lock a (username, IP) pair out after repeated failures, with a cool-off.
# The username comes from the credentials allauth passes to authenticate(), so the page
# form and the headless JSON login count against the same pair.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HANDLER = "accounts.lockout.AccountLockoutHandler"
# Guessing one login from many IPs dodges the pair lockout. Failures on one login from all
# IPs within AXES_COOLOFF_TIME are capped here: past the ceiling, sign-in to the account is
# refused from every IP except those its owner signed in from within
# LOGIN_KNOWN_CLIENT_DAYS, and the owner is mailed a one-time link (valid
# LOGIN_UNLOCK_LINK_MINUTES) that opens sign-in for the device that follows it. A stranger
# is stopped; the owner still gets in.
LOGIN_ACCOUNT_FAILURE_CEILING = env.int("LOGIN_ACCOUNT_FAILURE_CEILING", default=20)
LOGIN_KNOWN_CLIENT_DAYS = env.int("LOGIN_KNOWN_CLIENT_DAYS", default=90)
LOGIN_UNLOCK_LINK_MINUTES = env.int("LOGIN_UNLOCK_LINK_MINUTES", default=60)
# The random cookie naming a browser (accounts.devices): HttpOnly, SameSite=Lax, Secure
# where the session cookie is; about two years, renewed by nothing (a cleared cookie is a
# new device).
DEVICE_COOKIE_NAME = "p2p_device"
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 60 * 60
# One client-address rule for lockouts and the audit trail (see core.audit.client_ip).
AXES_CLIENT_IP_CALLABLE = "core.audit.client_ip"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
# English and Simplified Chinese. "zh-hans" is the language code Django's own catalogues
# and formats use; browsers sending zh-CN or zh-SG are matched to it by LocaleMiddleware.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# The project catalogue (templates, and Python of apps without their own locale/ folder);
# apps with a locale/ folder keep theirs (tests/i18n/test_catalogue.py checks them all).
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "p2p_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = env.str("PLATFORM_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# Dates and numbers per language (config/formats/<locale>): English Y-m-d, Chinese
# 2026年12月6日, both grouping thousands with commas (Django's English default date is
# "Dec. 2, 2026"; its Chinese default groups by ten thousand without a separator).
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Email ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="P2P Lending <no-reply@p2p.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # X-Session-Token first: its WWW-Authenticate header makes anonymous calls 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: with the browsable API, a client sending Accept: text/html got its errors
    # as HTML pages. People read the API at /api/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only (core.middleware.JsonBodyMiddleware answers 415 to anything else).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.AlwaysJson",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.handlers.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.api.throttling.AnonClientRateThrottle",
        "accounts.api.throttling.UserClientRateThrottle",
        "accounts.api.throttling.MoneyActionRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        # Money-moving POSTs per user, one allowance per action (a view's throttle_scope),
        # answered 429 `throttled` with Retry-After. Withdrawals also keep a client from
        # hammering the custodian's password check beside the password lockout.
        "money_deposit": env.str("API_THROTTLE_DEPOSIT", default="20/min"),
        "money_withdrawal": env.str("API_THROTTLE_WITHDRAWAL", default="10/min"),
        "money_investment": env.str("API_THROTTLE_INVESTMENT", default="60/min"),
        "money_repayment": env.str("API_THROTTLE_REPAYMENT", default="20/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "P2P Lending API",
    "DESCRIPTION": "App and integration API. Decimals travel as strings; errors carry a code.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two fields named "kind" (a repayment's due/all, a hardship request's): one name each.
    "ENUM_NAME_OVERRIDES": {
        "HardshipKindEnum": "lending.models.HardshipRequest.Kind",
        "EventNoticeCategoryEnum": "disclosure.models.EventNotice.Category",
        "CategoryEnum": "compliance.models.Complaint.Category",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
    ],
}

# Bodies of the API and allauth's headless endpoints, in bytes (core.middleware): the
# largest field any of them takes is a few hundred characters, so 16 KB is ample; a money
# POST (amount, password) needs far less. Larger bodies are 413 `request_too_large`.
API_BODY_MAX_BYTES = env.int("API_BODY_MAX_BYTES", default=16 * 1024)
API_MONEY_BODY_MAX_BYTES = env.int("API_MONEY_BODY_MAX_BYTES", default=4 * 1024)

# --- Content security policy (django-csp 4) -------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FILESYSTEM_DIR = VAR_DIR / "broker"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Redis redelivers a message not acknowledged within the visibility timeout, so it must
# exceed both the longest task (the hard time limit, 30 minutes) and the longest wait a
# worker holds a message for (a retry's countdown: at most 10 minutes of backoff), or a
# healthy task would run twice. It is also how long the messages a killed worker had taken
# wait before any worker sees them again: 45 minutes keeps that short for the tasks without
# a sweep of their own; deposits and withdrawals do not wait for it (the resend sweep below).
CELERY_BROKER_VISIBILITY_TIMEOUT = 45 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULER = env.str("CELERY_BEAT_SCHEDULER", default="celery.beat:PersistentScheduler")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Platform ---------------------------------------------------------------------------
PLATFORM_NAME = "P2P Lending"
PLATFORM_CURRENCY = env.str("PLATFORM_CURRENCY", default="CNY")
PII_ENCRYPTION_KEYS = env.list("PII_ENCRYPTION_KEYS")
CUSTODIAN_WEBHOOK_SECRET = env.str("CUSTODIAN_WEBHOOK_SECRET")
BUSINESS_DATE_MODE = env.str("BUSINESS_DATE_MODE", default="calendar")
# seed_demo creates staff with a published password and TOTP secret: never in production.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=False)
# Investor suitability: a retail investor may commit at most this share of declared
# net investible assets (FCA PS19/14 model, 10% for restricted investors).
RETAIL_INVESTMENT_CAP_SHARE = Decimal(env.str("RETAIL_INVESTMENT_CAP_SHARE", default="0.10"))

# Identity (KYC): the provider adapter and its blocklist (the sandbox's own list by default).
IDENTITY_PROVIDER = env.str(
    "IDENTITY_PROVIDER", default="accounts.adapters.identity.SandboxIdentityProvider"
)
IDENTITY_BLOCKLIST_NATIONAL_IDS = env.list(
    "IDENTITY_BLOCKLIST_NATIONAL_IDS", default=["110105198001019993", "110105197505209980"]
)
IDENTITY_BLOCKLIST_NAMES = env.list(
    "IDENTITY_BLOCKLIST_NAMES", default=["黑名单", "Blocked Person"]
)
# Rejected identity checks allowed per user in 24 hours. Without a cap the duplicate
# refusal would let one account probe which ID numbers, phones and cards are registered.
IDENTITY_MAX_REJECTIONS_PER_DAY = env.int("IDENTITY_MAX_REJECTIONS_PER_DAY", default=5)
# Accounts are cheap to make, so the same caps hold across accounts (counted in the
# database, accounts.models.IdentityAttempt; checks still waiting for the provider count,
# verified ones do not). Per national ID: many accounts probing whether one ID is
# registered, or guessing its holder's details, stop after this many failures; the same
# figure as per account, so a person's own typos never reach it before their account's
# cap does. Per client network (an IPv4 address, an IPv6 /64): one client probing many IDs
# through many accounts; four accounts' worth, as offices and carrier NAT share addresses.
IDENTITY_MAX_REJECTIONS_PER_NATIONAL_ID_PER_DAY = env.int(
    "IDENTITY_MAX_REJECTIONS_PER_NATIONAL_ID_PER_DAY", default=5
)
IDENTITY_MAX_REJECTIONS_PER_CLIENT_PER_DAY = env.int(
    "IDENTITY_MAX_REJECTIONS_PER_CLIENT_PER_DAY", default=20
)
# Enterprise borrowers: the registry adapter, the sandbox's abnormal-operations list, and
# rejected registrations allowed per user in 24 hours (as for identity checks).
ENTERPRISE_REGISTRY = env.str(
    "ENTERPRISE_REGISTRY", default="accounts.adapters.enterprise_registry.SandboxEnterpriseRegistry"
)
ENTERPRISE_REGISTRY_ABNORMAL_CODES = env.list(
    "ENTERPRISE_REGISTRY_ABNORMAL_CODES", default=["91310000MA00000012"]
)
ENTERPRISE_MAX_REJECTIONS_PER_DAY = env.int("ENTERPRISE_MAX_REJECTIONS_PER_DAY", default=5)
# Per-loan share of an investor's total limit: diversify over at least ten loans.
INVESTOR_PER_LOAN_SHARE = Decimal(env.str("INVESTOR_PER_LOAN_SHARE", default="0.10"))

# Borrowing caps (Interim Measures art. 17): what one borrower may owe on this platform and
# on all platforms together, for a person and for an enterprise.
LENDING_CAP_INDIVIDUAL_PLATFORM = Decimal(env.str("LENDING_CAP_INDIVIDUAL_PLATFORM", "200000"))
LENDING_CAP_INDIVIDUAL_TOTAL = Decimal(env.str("LENDING_CAP_INDIVIDUAL_TOTAL", "1000000"))
LENDING_CAP_ENTERPRISE_PLATFORM = Decimal(env.str("LENDING_CAP_ENTERPRISE_PLATFORM", "1000000"))
LENDING_CAP_ENTERPRISE_TOTAL = Decimal(env.str("LENDING_CAP_ENTERPRISE_TOTAL", "5000000"))
# Clean applications in these grades up to this amount are approved without a reviewer: the
# review's cost is spent where the risk is.
LENDING_AUTO_APPROVE_GRADES = tuple(env.list("LENDING_AUTO_APPROVE_GRADES", default=["A", "B"]))
LENDING_AUTO_APPROVE_MAX_AMOUNT = Decimal(env.str("LENDING_AUTO_APPROVE_MAX_AMOUNT", "50000"))
# Anti-fraud velocity: more applications than this by one borrower within the window flags
# the next one for a reviewer.
LENDING_VELOCITY_MAX_APPLICATIONS = env.int("LENDING_VELOCITY_MAX_APPLICATIONS", default=3)
LENDING_VELOCITY_WINDOW_DAYS = env.int("LENDING_VELOCITY_WINDOW_DAYS", default=30)
# Maker-checker: a disbursement above this needs a second approver (the person who starts
# it cannot finish it).
LENDING_DISBURSEMENT_CHECKER_THRESHOLD = Decimal(
    env.str("LENDING_DISBURSEMENT_CHECKER_THRESHOLD", "50000")
)
# Complaints (compliance): an answer is due within this many days of the user's message
# (a reminder goes to compliance on a breach); attachments are PDFs or images this small.
COMPLAINT_SLA_DAYS = env.int("COMPLAINT_SLA_DAYS", default=15)
COMPLAINT_ATTACHMENT_MAX_BYTES = env.int("COMPLAINT_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
COMPLAINT_ATTACHMENTS_PER_MESSAGE = env.int("COMPLAINT_ATTACHMENTS_PER_MESSAGE", default=3)
# Inspection requests (regulator portal): answer documents are PDFs or images, checked by
# content like complaint attachments, but larger and more of them (a regulator asks for
# contracts, statements and reports); the regulator's due date is at most this far ahead.
INSPECTION_DOCUMENT_MAX_BYTES = env.int("INSPECTION_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
INSPECTION_DOCUMENTS_PER_MESSAGE = env.int("INSPECTION_DOCUMENTS_PER_MESSAGE", default=10)
INSPECTION_MAX_DUE_DAYS = env.int("INSPECTION_MAX_DUE_DAYS", default=366)
# Financial records (identity included) are kept this many years after the relationship ends
# (the AML rules' five years); an erasure request restricts them until then, then purges.
DATA_RETENTION_YEARS = env.int("DATA_RETENTION_YEARS", default=5)
# Target segments (promotion.segments): idle cash at or above this amount; dormant after this
# many days without an investment; "new" within this many days of a first investment;
# borrowers "near payoff" with at most this share of the principal left.
SEGMENT_IDLE_CASH_MIN = Decimal(env.str("SEGMENT_IDLE_CASH_MIN", "1000.00"))
SEGMENT_DORMANT_DAYS = env.int("SEGMENT_DORMANT_DAYS", default=90)
SEGMENT_NEW_DAYS = env.int("SEGMENT_NEW_DAYS", default=30)
SEGMENT_PAYOFF_SHARE = Decimal(env.str("SEGMENT_PAYOFF_SHARE", "0.20"))

# --- Disclosure: event notices and institution information -------------------------------
# A published major-event notice stays on the home page this long (then the archive keeps it).
DISCLOSURE_NOTICE_BANNER_HOURS = env.int("DISCLOSURE_NOTICE_BANNER_HOURS", default=48)
# Documents ops upload for the institution page: PDFs or images, at most this large.
DISCLOSURE_DOCUMENT_MAX_BYTES = env.int("DISCLOSURE_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# The registration facts the institution page shows (2017 Disclosure Guidelines art. 9).
INSTITUTION_COMPANY_NAME = env.str(
    "INSTITUTION_COMPANY_NAME", default="P2P Lending Information Services Co., Ltd."
)
INSTITUTION_REGISTRATION_NUMBER = env.str(
    "INSTITUTION_REGISTRATION_NUMBER", default="91310000MA1FL0000X"
)
INSTITUTION_REGISTERED_CAPITAL = env.str(
    "INSTITUTION_REGISTERED_CAPITAL", default="50,000,000.00 CNY"
)
INSTITUTION_REGISTERED_ADDRESS = env.str(
    "INSTITUTION_REGISTERED_ADDRESS",
    default="Floor 12, 88 Century Avenue, Pudong New Area, Shanghai",
)
INSTITUTION_ESTABLISHED_ON = env.str("INSTITUTION_ESTABLISHED_ON", default="2015-06-18")
INSTITUTION_LEGAL_REPRESENTATIVE = env.str("INSTITUTION_LEGAL_REPRESENTATIVE", default="Zhang Wei")
INSTITUTION_CUSTODIAN_BANK = env.str(
    "INSTITUTION_CUSTODIAN_BANK", default="Sandbox Custodian Bank, Shanghai Branch"
)
INSTITUTION_ICP_FILING = env.str("INSTITUTION_ICP_FILING", default="沪ICP备15000000号-1")
INSTITUTION_COMPLAINT_PHONE = env.str("INSTITUTION_COMPLAINT_PHONE", default="400-000-0000")
INSTITUTION_COMPLAINT_EMAIL = env.str(
    "INSTITUTION_COMPLAINT_EMAIL", default="complaints@p2p-lending.example"
)

# Cost of credit: interest, penalty interest, late fees and every other charge on a loan
# together stay under this annual rate (24%: the Supreme People's Court's 2015
# private-lending provisions, arts. 26, 29, 30; a deployment may set 4x the one-year LPR).
# As an APR (lending.cost): a product priced above it for any grade is refused in the admin,
# and the review never makes an offer above it.
LENDING_COST_CEILING_RATE = Decimal(env.str("LENDING_COST_CEILING_RATE", "0.24"))
# Servicing: investors paid per ledger entry in a distribution chunk, and how long a
# repayment may wait undistributed before the sweeper sends its distribution again.
LENDING_DISTRIBUTION_CHUNK = env.int("LENDING_DISTRIBUTION_CHUNK", default=5000)
LENDING_DISTRIBUTION_STUCK_MINUTES = env.int("LENDING_DISTRIBUTION_STUCK_MINUTES", default=5)
# Notification emails whose task was lost are enqueued again after this many minutes (the
# task usually runs within seconds), up to this many hours after the notification: older
# news goes unmailed rather than late (the user still sees it on the platform).
LENDING_EMAIL_STUCK_MINUTES = env.int("LENDING_EMAIL_STUCK_MINUTES", default=15)
# An application's automatic review and a new loan's auto-invest run within seconds; one
# still waiting after this many minutes lost its task and is enqueued again.
LENDING_TASK_STUCK_MINUTES = env.int("LENDING_TASK_STUCK_MINUTES", default=10)
LENDING_EMAIL_RESEND_HOURS = env.int("LENDING_EMAIL_RESEND_HOURS", default=72)

# The platform's one public origin (core.site): every link in an email names it, whatever
# host a request came in on, and the sandbox custodian calls back to it. The default is the
# address `make run` announces.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Custody: the sandbox custodian calls back to SITE_URL over HTTP ("local" skips the
# network but runs the same signature check); a failure rate makes it refuse some movements.
SANDBOX_CUSTODIAN_TRANSPORT = env.str("SANDBOX_CUSTODIAN_TRANSPORT", default="http")
SANDBOX_CUSTODIAN_FAILURE_RATE = env.float("SANDBOX_CUSTODIAN_FAILURE_RATE", default=0.0)
# How long the sandbox bank takes between booking a movement and calling back (a slow bank:
# rehearses a worker that dies while it waits). Zero answers at once.
SANDBOX_CUSTODIAN_CALLBACK_DELAY_SECONDS = env.float(
    "SANDBOX_CUSTODIAN_CALLBACK_DELAY_SECONDS", default=0.0
)
# The resend sweep (a beat task every CUSTODY_RESEND_SWEEP_SECONDS) hands a deposit or
# withdrawal to its custodian again once it has been pending CUSTODY_RESEND_AFTER_SECONDS
# since it was last enqueued: its message died with a killed worker (Redis would hold it
# back for the whole visibility timeout) or the bank never called back. Processing is
# idempotent, so resending is harmless; the wait leaves a live worker the message already
# queued (a healthy movement settles within seconds). A user's movement thus moves on within
# AFTER + SWEEP (90 s) of a worker's death, and a movement stuck at the bank costs one
# task a minute.
CUSTODY_RESEND_AFTER_SECONDS = env.int("CUSTODY_RESEND_AFTER_SECONDS", default=60)
CUSTODY_RESEND_SWEEP_SECONDS = env.int("CUSTODY_RESEND_SWEEP_SECONDS", default=30)
# Idempotency-Key: a duplicate waits this long for the first request before a 409; keys are
# kept at least 24 hours (DESIGN.md section 5).
IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS = env.float("IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS", default=5.0)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=48)
# Retry-After of a 503 `service_unavailable` (the database could not answer): a lost
# connection is replaced on the next request, so a prompt retry usually succeeds.
SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int(
    "SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS", default=1
)
# The transaction password guards money leaving the platform: after this many wrong
# passwords within the window, every withdrawal attempt is refused (even a right one).
WITHDRAWAL_AUTHORISATION_MAX_FAILURES = env.int("WITHDRAWAL_AUTHORISATION_MAX_FAILURES", default=5)
WITHDRAWAL_AUTHORISATION_WINDOW_SECONDS = env.int(
    "WITHDRAWAL_AUTHORISATION_WINDOW_SECONDS", default=15 * 60
)

# Referrals (promotion.services.referrals): a verified user's friend who signs up through
# their link and, within REFERRAL_WINDOW_DAYS of signing up, places an investment of at least
# REFERRAL_MIN_INVESTMENT that is lent out earns the referrer REFERRAL_REWARD_AMOUNT, paid from
# the platform's marketing budget. At most REFERRAL_CAP_PER_REFERRER rewards per referrer,
# and at most REFERRAL_CAP_PER_MONTH paid out platform-wide per calendar month (rewards past
# it wait for the next month's budget).
REFERRAL_MIN_INVESTMENT = Decimal(env.str("REFERRAL_MIN_INVESTMENT", "1000.00"))
REFERRAL_WINDOW_DAYS = env.int("REFERRAL_WINDOW_DAYS", default=30)
REFERRAL_REWARD_AMOUNT = Decimal(env.str("REFERRAL_REWARD_AMOUNT", "50.00"))
REFERRAL_CAP_PER_REFERRER = env.int("REFERRAL_CAP_PER_REFERRER", default=20)
REFERRAL_CAP_PER_MONTH = Decimal(env.str("REFERRAL_CAP_PER_MONTH", "20000.00"))

# --- Logging ----------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_pii": {"()": "config.logging.RedactPiiFilter"},
        "request_id": {"()": "config.logging.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "redact_pii"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django sets its own logger to INFO; LOG_LEVEL=ERROR must silence 4xx warnings too.
        "django": {"level": LOG_LEVEL},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # PDF rendering (agreements, statements) narrates every step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# Regulatory filings (compliance.services.filings): the formats each filing is made in, how
# long a download link lives, and the key of borrower pseudonyms in the files (derived from
# the oldest PII key when unset; set it to keep pseudonyms stable across PII key rotations).
FILINGS_FORMATS = tuple(env.list("FILINGS_FORMATS", default=["csv", "xlsx", "json"]))
FILINGS_LINK_MAX_AGE_SECONDS = env.int("FILINGS_LINK_MAX_AGE_SECONDS", default=300)
FILINGS_PSEUDONYM_KEY = env.str("FILINGS_PSEUDONYM_KEY", default="")
# Where a filing is written before it is stored (the system's temporary folder by default).
FILINGS_TEMP_DIR = env.str("FILINGS_TEMP_DIR", default="") or None
