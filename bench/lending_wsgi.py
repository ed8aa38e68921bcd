"""WSGI app for the lending HTTP benchmark: the real app plus the no-database baseline URL."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django
from django.conf import settings

django.setup()
settings.ROOT_URLCONF = "bench.lending_urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
