"""`manage.py create_staff`: a staff user with one role, a set-password link by mail, an
audited role grant, TOTP before the first action; role changes in the admin are audited."""

from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command

from core.audit import AuditEvent
from tests.accounts.auth_support import link_in_mail

pytestmark = pytest.mark.django_db


def test_create_staff_with_password_grants_the_role_and_audits_it(client, django_user_model):
    call_command(
        "create_staff",
        "--email",
        "Rita@Example.test",
        "--role",
        "reviewer",
        "--password",
        "Reviewer-pass-2026",
    )
    user = django_user_model.objects.get(email="rita@example.test")
    assert user.is_staff and not user.is_superuser
    assert user.role_names == {"reviewer"}
    assert EmailAddress.objects.get(user=user).verified
    assert mail.outbox == []
    event = AuditEvent.objects.get(action="account.roles_changed")
    assert (event.subject_id, event.before, event.after) == (
        str(user.pk),
        {"roles": []},
        {"roles": ["reviewer"]},
    )

    # First sign-in lands on TOTP enrolment; nothing else is reachable yet.
    response = client.post(
        "/accounts/login/", {"login": "rita@example.test", "password": "Reviewer-pass-2026"}
    )
    assert response.status_code == 302
    assert client.get("/dashboard/")["Location"] == "/accounts/2fa/totp/activate/"


def test_create_staff_without_password_mails_a_set_password_link(
    client, django_user_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_staff", "--email", "reg@example.test", "--role", "regulator")
    user = django_user_model.objects.get(email="reg@example.test")
    assert not user.has_usable_password()
    assert user.role_names == {"regulator"}
    assert len(mail.outbox) == 1
    link = link_in_mail("reg@example.test", "/accounts/password/reset/key/")
    assert link.startswith(settings.SITE_URL.rstrip("/") + "/")  # the site's one origin

    form_page = client.get(link.removeprefix(settings.SITE_URL.rstrip("/")), follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    response = client.post(
        set_url, {"password1": "Regulator-pass-2026", "password2": "Regulator-pass-2026"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Regulator-pass-2026")
    assert AuditEvent.objects.filter(
        action="account.password_reset", subject_id=str(user.pk)
    ).exists()

    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "reg@example.test", "password": "Regulator-pass-2026"}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me").json()["code"] == "mfa_required"


@pytest.mark.parametrize("role", ["investor", "borrower", "superuser", "nobody"])
def test_create_staff_refuses_a_role_that_is_not_staff(role, django_user_model):
    with pytest.raises(CommandError):
        call_command("create_staff", "--email", "x@example.test", "--role", role)
    assert not django_user_model.objects.filter(email="x@example.test").exists()


def test_create_staff_refuses_an_existing_email(make_user, django_user_model):
    existing = make_user("investor", email="taken@example.test")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_staff", "--email", "TAKEN@example.test", "--role", "approver")
    existing.refresh_from_db()
    assert not existing.is_staff
    assert not AuditEvent.objects.filter(action="account.roles_changed").exists()


def test_role_changes_in_the_admin_are_audited(client, make_user):
    from django.contrib.auth.models import Group

    admin = make_user("compliance")
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    target = make_user("investor")
    client.force_login(admin)
    groups = Group.objects.filter(name__in=["investor", "collections"])
    response = client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "email": target.email,
            "display_name": "",
            "is_active": "on",
            "is_staff": "on",
            "groups": [g.pk for g in groups],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="account.roles_changed", subject_id=str(target.pk))
    assert event.before == {"roles": ["investor"]}
    assert event.after == {"roles": ["collections", "flag:is_staff", "investor"]}
    assert event.actor_id == admin.pk

    # Saving without a change of roles writes nothing more.
    client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "email": target.email,
            "display_name": "Tess",
            "is_active": "on",
            "is_staff": "on",
            "groups": [g.pk for g in groups],
        },
    )
    assert AuditEvent.objects.filter(action="account.roles_changed").count() == 1


def test_password_change_and_reset_by_email_are_audited(client, make_user):
    user = make_user("investor")
    client.post("/accounts/login/", {"login": user.email, "password": user.test_password})
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": user.test_password,
            "password1": "Brand-new-pass-2026",
            "password2": "Brand-new-pass-2026",
        },
    )
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action="account.password_changed")
    assert changed.subject_id == str(user.pk) and changed.actor_id == user.pk

    client.logout()
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": user.email})
    link = link_in_mail(user.email, "/accounts/password/reset/key/")
    form_page = client.get(urlsplit(link).path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    client.post(set_url, {"password1": "Another-pass-2026", "password2": "Another-pass-2026"})
    user.refresh_from_db()
    assert user.check_password("Another-pass-2026")
    assert (
        AuditEvent.objects.filter(action="account.password_reset", subject_id=str(user.pk)).count()
        == 1
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1A", "too short"),
        ("password123", "too common"),
        ("8167203945127", "entirely numeric"),
        ("weak.staff@example.test", "too similar"),
    ],
)
def test_create_staff_refuses_a_password_the_validators_refuse(password, reason, django_user_model):
    with pytest.raises(CommandError, match=reason):
        call_command(
            "create_staff",
            "--email",
            "weak.staff@example.test",
            "--role",
            "approver",
            "--password",
            password,
        )
    assert not django_user_model.objects.filter(email="weak.staff@example.test").exists()
    assert not AuditEvent.objects.filter(action="account.roles_changed").exists()


def test_regulators_are_not_admin_staff_but_must_enrol_totp(client, django_user_model):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    call_command(
        "create_staff",
        "--email",
        "watchdog@example.test",
        "--role",
        "regulator",
        "--password",
        "Regulator-pass-2026",
    )
    user = django_user_model.objects.get(email="watchdog@example.test")
    assert not user.is_staff and not user.is_superuser
    assert user.role_names == {"regulator"}
    assert user.requires_mfa

    client.force_login(user)
    # Without TOTP nothing is reachable; with it, the admin is still closed to regulators.
    assert client.get("/api/v1/me").json()["code"] == "mfa_required"
    TOTP.activate(user, generate_totp_secret())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    "role", ["reviewer", "approver", "collections", "compliance", "operations"]
)
def test_operations_staff_open_the_admin(role, django_user_model):
    call_command("create_staff", "--email", f"{role}@example.test", "--role", role)
    assert django_user_model.objects.get(email=f"{role}@example.test").is_staff
