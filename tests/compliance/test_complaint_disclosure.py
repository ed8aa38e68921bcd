"""Complaint statistics feed the public disclosure page: the count, the rate per 10,000
users, the median days to resolve and the count by category."""

import pytest

from compliance.models import Complaint
from compliance.services.complaints import complaint_close, complaint_file


@pytest.mark.django_db
def test_the_disclosure_page_shows_the_complaint_statistics(client, make_user):
    people = [make_user("investor") for _ in range(4)]
    for user, category in zip(people[:3], ("repayment", "repayment", "wallet"), strict=True):
        complaint_file(user=user, category=category, subject="Late payout", text="Where is it?")
    first = Complaint.objects.order_by("id").first()
    complaint_close(complaint_id=first.pk, actor=first.user)

    page = client.get("/disclosure/").content.decode()

    # 3 complaints among 4 users: 7,500 per 10,000; one resolved (the same day: 0.0 days).
    assert "3 complaints in all: 7500.0 for every 10,000 users." in page
    assert "Half of those resolved were resolved within 0.0 days." in page
    assert 'Repayment or charges</td><td class="num">2' in page
    assert 'Deposits, withdrawals and the wallet</td><td class="num">1' in page
