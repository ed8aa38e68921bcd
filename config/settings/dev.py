"""Embedded default: SQLite, filesystem Celery broker, console + file email, sandbox adapters.

Secrets have harmless local defaults here, and only here.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdef")
os.environ.setdefault("PII_ENCRYPTION_KEYS", "rE6C3E1wAV7o0aXbQ3b9Tz4m1O2Hc6J5n0lqJm8KQ1Y=")
os.environ.setdefault("CUSTODIAN_WEBHOOK_SECRET", "dev-sandbox-custodian-secret")
os.environ.setdefault("BUSINESS_DATE_MODE", "manual")
os.environ.setdefault("DEMO_DATA_ALLOWED", "true")

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

if "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "config.mail.ConsoleAndFileBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "outbox")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the app finders here; WhiteNoise serves collected files in production.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]
