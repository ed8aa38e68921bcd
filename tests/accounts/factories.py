"""Factories of accounts records: a user as signup leaves them (a verified primary email and
a password), holding the given roles; staff roles make them staff and enrol TOTP."""

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import ADMIN_ROLES

PASSWORD = "Str0ng-pass-phrase"


class UserFactory(factory.django.DjangoModelFactory):
    """`roles` names the groups the user joins; `mfa` enrols TOTP when true, and by default
    when the roles require it. The clear password stays on the user as `test_password`."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = PASSWORD
    verified_email = factory.RelatedFactory(
        "tests.accounts.factories.EmailAddressFactory",
        factory_related_name="user",
        email=factory.SelfAttribute("..email"),
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        user = model_class.objects.create_user(*args, **kwargs)
        user.test_password = kwargs["password"]
        return user

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        roles = extracted or ()
        if roles:
            user.groups.add(*Group.objects.filter(name__in=roles))
        user.is_staff = any(r in ADMIN_ROLES for r in roles)
        user.save(update_fields=["is_staff"])

    @factory.post_generation
    def mfa(user, create, extracted, **kwargs):
        wants_mfa = user.requires_mfa if extracted is None else extracted
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        if wants_mfa and not has_totp:
            TOTP.activate(user, generate_totp_secret())


class EmailAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailAddress

    verified = True
    primary = True
