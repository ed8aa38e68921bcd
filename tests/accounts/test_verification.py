"""The steps the identity and enterprise checks share (accounts.verification), through a
check kind of its own: the source columns, the savepoint race and the audit it writes."""

import pytest
from django.db import IntegrityError

from accounts import verification
from accounts.models import EnterpriseCheck, FraudSignal
from core.audit import SYSTEM, AuditEvent

pytestmark = pytest.mark.django_db

KIND = verification.CheckKind(
    model=EnterpriseCheck, source="registry", action="company", masked=("name",)
)


class Record:
    name_masked = "深圳***公司"


def verify(user, *, find_duplicates, create_record):
    return verification.check_verify(
        KIND,
        user=user,
        source="sandbox",
        reference="ref-1",
        find_duplicates=find_duplicates,
        create_record=create_record,
        context=SYSTEM,
    )


def test_check_verify_keeps_the_check_and_audits_the_masked_facts(make_user):
    user = make_user()
    check = verify(user, find_duplicates=list, create_record=lambda check: Record())
    assert (check.status, check.registry, check.registry_reference) == (
        "verified",
        "sandbox",
        "ref-1",
    )
    event = AuditEvent.objects.get(action="company.verify")
    assert event.after == {
        "status": "verified",
        "registry": "sandbox",
        "reference": "ref-1",
        "check_id": check.pk,
        "name": "深圳***公司",
    }


def test_check_verify_reports_the_duplicate_that_won_the_race(make_user):
    user, other = make_user(), make_user()
    found = iter([[], [("duplicate_x", FraudSignal.Kind.DUPLICATE_CREDIT_CODE, other)]])

    def lose(check):
        raise IntegrityError("unique hash")

    check = verify(user, find_duplicates=lambda: next(found), create_record=lose)
    assert (check.status, check.reasons) == ("rejected", ["duplicate_x"])
    assert list(EnterpriseCheck.objects.values_list("status", flat=True)) == ["rejected"]
    signal = FraudSignal.objects.get()
    assert (signal.user, signal.matched_user) == (user, other)
    assert AuditEvent.objects.get(action="company.reject").after["reasons"] == ["duplicate_x"]
    assert not AuditEvent.objects.filter(action="company.verify").exists()


def test_check_verify_raises_an_integrity_error_no_duplicate_explains(make_user):
    user = make_user()

    def fail(check):
        raise IntegrityError("something else")

    with pytest.raises(IntegrityError):
        verify(user, find_duplicates=list, create_record=fail)
    assert not EnterpriseCheck.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="company.").exists()
