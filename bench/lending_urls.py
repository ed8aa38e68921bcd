"""The platform's URLs plus one view that touches no database: the benchmark's baseline."""

from django.http import HttpResponse
from django.urls import include, path


def no_database(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/no-database", no_database),
    path("", include("config.urls")),
]
