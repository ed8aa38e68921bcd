"""Production: every secret from the environment, no defaults; HTTPS everywhere.

`manage.py check --deploy --fail-level WARNING` is clean with these settings.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import cache_config, env

DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

DATABASES = {"default": {**env.db_url("DATABASE_URL"), "CONN_MAX_AGE": 60}}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CACHES = {"default": cache_config(env.cache_url("CACHE_URL"))}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# Every mailed link names SITE_URL (core.site), which must be a host in ALLOWED_HOSTS.
SITE_URL = env.str("SITE_URL", default=f"https://{ALLOWED_HOSTS[0]}")
# Production runs behind one TLS-terminating proxy (set TRUSTED_PROXY_COUNT to match the
# deployment): the client address is the entry that proxy appended to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
