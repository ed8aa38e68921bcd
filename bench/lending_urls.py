"""The platform's URLs plus two baselines for the HTTP benchmark: a view that touches no
database, and an API view that authenticates an investor the way the investment endpoint
does (session token, user, roles, throttles) and then does nothing."""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from lending.api.permissions import IsInvestor


def no_database(request):
    return HttpResponse("ok", content_type="text/plain")


class AuthenticatedNoop(APIView):
    permission_classes = [IsInvestor]
    throttle_scope = "money_investment"  # the investment endpoint's own per-user limit

    def post(self, request):
        return Response({"ok": True}, status=201)


urlpatterns = [
    path("bench/no-database", no_database),
    path("bench/authenticated-noop", AuthenticatedNoop.as_view()),
    path("", include("config.urls")),
]
