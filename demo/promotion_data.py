"""Demo promotion data: where the demo customers came from, who agreed to marketing, and the
day's target segments, so the conversion page, the growth dashboard and the segment
exports have something to show."""

from datetime import timedelta

from lending.business_date import business_date
from promotion.models import Attribution, ConsentSource, MarketingConsent
from promotion.selectors import customers
from promotion.services.consent import consent_set
from promotion.services.segments import segments_compute

# (utm_source, utm_medium, utm_campaign) by turn; every fourth customer came direct.
CAMPAIGNS = [
    ("weibo", "social", "spring-2026"),
    ("baidu", "cpc", "search-brand"),
    ("newsletter", "email", "autumn-rates"),
    None,
]


def seed_promotion() -> None:
    people = list(customers().exclude(email__endswith="@erased.invalid").order_by("id"))
    for n, user in enumerate(people):
        campaign = CAMPAIGNS[n % len(CAMPAIGNS)]
        if campaign is not None and not Attribution.objects.filter(user=user).exists():
            source, medium, name = campaign
            Attribution.objects.create(
                user=user,
                source=source,
                medium=medium,
                campaign=name,
                landing_path="/",
                first_visit_at=user.date_joined - timedelta(minutes=7),
                signed_up_at=user.date_joined,
            )
        # Three customers in five agreed to marketing when they signed up.
        if n % 5 < 3 and not MarketingConsent.objects.filter(user=user).exists():
            consent_set(user=user, granted=True, source=ConsentSource.SIGNUP)
    segments_compute(as_of=business_date())
