"""WSGI app for the lending HTTP benchmark: the real app, the baseline URL, and the
onboarding facts stubbed at lending's one seam (every bench investor verified)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django
from django.conf import settings

django.setup()
settings.ROOT_URLCONF = "bench.lending_urls"

from bench.lending import install_onboarding_stub  # noqa: E402

install_onboarding_stub()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
