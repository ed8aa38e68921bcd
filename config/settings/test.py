"""Test settings: the embedded parts by default; DATABASE_URL, CELERY_BROKER_URL and
CACHE_URL point the suite at real PostgreSQL and Redis (CI sets REQUIRE_SERVICES=1)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("PII_ENCRYPTION_KEYS", "Vd0kq9uJ1p8lYF2cCw3bq5mWnA3oT8xZr4sE6yH7gKQ=")
os.environ.setdefault("CUSTODIAN_WEBHOOK_SECRET", "test-custodian-secret")
os.environ.setdefault("BUSINESS_DATE_MODE", "manual")
os.environ.setdefault("DEMO_DATA_ALLOWED", "true")

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Stored files (loan agreements) live in memory: a test run leaves none behind.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_BROKER_FILESYSTEM_DIR = VAR_DIR / "test-broker"
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)
# The suite exercises rate limits and lockouts explicitly; leave them on.
LOGGING["root"]["level"] = "WARNING"
# Static files come from the app finders here; WhiteNoise serves collected files in production.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]

if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Append-only tables refuse TRUNCATE unless the session opts in; the suite empties
    # tables between transactional tests, so its connections opt in.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c p2p.allow_truncate=on"

# pytest-xdist (`make test`) runs the suite in several processes at once. pytest-django gives
# each its own test database (test_<name>_gw0, ...); what they would otherwise share is kept
# apart here by the process's worker id, which the servers a test starts inherit
# (tests/servers.py): Celery's default queue (a worker of one process never takes another's
# tasks), the cache's keys (its clear() deletes only its own) and the filesystem broker.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    CELERY_TASK_DEFAULT_QUEUE = f"celery-{XDIST_WORKER}"
    CELERY_BROKER_FILESYSTEM_DIR = VAR_DIR / f"test-broker-{XDIST_WORKER}"
    if CACHES["default"]["BACKEND"] == "core.cache.RedisCache":
        CACHES["default"]["BACKEND"] = "tests.cache.WorkerRedisCache"
        CACHES["default"]["KEY_PREFIX"] = f"test-{XDIST_WORKER}"
