"""Capture the campaign a visitor arrived from, on the first visit that carries one."""

from django.utils import timezone

from promotion.services.attribution import SESSION_KEY, landing_from_query


class CampaignLandingMiddleware:
    """On a GET by an anonymous visitor whose URL carries campaign parameters (utm_*) or a
    referral code (`ref`), keep them in the session unless an earlier landing is there
    already (first touch wins). Signup moves them onto the new user
    (promotion.signals). Visits without parameters create no session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method == "GET"
            and request.GET
            and not request.user.is_authenticated
            and SESSION_KEY not in request.session
        ):
            landing = landing_from_query(request.GET, path=request.path, at=timezone.now())
            if landing is not None:
                request.session[SESSION_KEY] = landing
        return self.get_response(request)
