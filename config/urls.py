"""The project's URLs: pages, allauth (pages and headless), admin, API v1, schema, health."""

from allauth.account.decorators import secure_admin_login
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import healthz
from core.handlers import headless_not_found

handler400 = "core.handlers.bad_request"
handler404 = "core.handlers.not_found"
handler500 = "core.handlers.api_server_error"

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("P2P Lending operations")
admin.site.site_title = _("P2P Lending ops")

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("custody.api.urls")),
    path("", include("lending.api.urls")),
    path("", include("disclosure.api.urls")),
    path("", include("promotion.api.urls")),
    path("", include("compliance.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # Sign-in is by email only, but allauth mounts its phone endpoints anyway, and they fail
    # with a 500 for a signed-in user: answer them as the unknown paths they are here.
    re_path(
        r"^_allauth/[^/]+/v1/(?:account|auth)/phone(?:/|$)",
        headless_not_found,
        name="headless-phone-not-found",
    ),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file, so no inline script is needed; Swagger
    # UI still sets inline styles, allowed on this page alone.
    path(
        "api/docs/",
        csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("", include("lending.urls")),
    path("", include("accounts.urls")),
    path("", include("custody.urls")),
    path("", include("disclosure.urls")),
    path("", include("promotion.urls")),
    path("", include("compliance.urls")),
]
