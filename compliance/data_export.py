"""A user's own data, whole (PIPL art. 45: the right to a copy): their account, identity (in
clear: it is theirs), profiles, wallet and ledger postings, deposits and withdrawals,
applications, loans, schedules, repayments, investments, payouts, auto-invest rules,
notifications, complaints and the audit events of their own actions. Nobody else's: other
parties appear by reference (a loan's public reference), never by name.

It reads every app, so it lives in compliance, the top layer."""

import datetime
from decimal import Decimal

from accounts import pii
from accounts.models import BorrowerProfile, Enterprise, Identity, InvestorProfile
from compliance.models import Complaint
from core.audit import AuditEvent
from custody.models import Deposit, LedgerAccount, Posting, Withdrawal
from lending.models import (
    Application,
    AutoInvestRule,
    Installment,
    Investment,
    Loan,
    Notification,
    Payout,
    Repayment,
)
from promotion.models import Attribution, ConsentChange, MarketingConsent

FORMAT_VERSION = 1


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _rows(queryset, fields: list[str]) -> list[dict]:
    return [
        {name: _plain(value) for name, value in zip(fields, row, strict=True)}
        for row in queryset.order_by("pk").values_list(*fields)
    ]


def _identity(user) -> dict | None:
    identity = Identity.objects.filter(user=user).first()
    if identity is None:
        return None
    return {
        "legal_name": pii.decrypt(identity.legal_name_encrypted),
        "national_id": pii.decrypt(identity.national_id_encrypted),
        "phone": pii.decrypt(identity.phone_encrypted),
        "bank_card": pii.decrypt(identity.bank_card_encrypted),
        "birth_year": identity.birth_year,
        "verified_at": _plain(identity.verified_at),
    }


def _enterprise(user) -> dict | None:
    company = Enterprise.objects.filter(user=user).first()
    if company is None:
        return None
    return {
        "company_name": pii.decrypt(company.company_name_encrypted),
        "credit_code": pii.decrypt(company.credit_code_encrypted),
        "legal_representative_name": pii.decrypt(company.legal_representative_name_encrypted),
        "legal_representative_id": pii.decrypt(company.legal_representative_id_encrypted),
        "registered_address": pii.decrypt(company.registered_address_encrypted),
    }


def _model_fields(model, exclude=("id",)) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in exclude and not f.attname.endswith(("_encrypted", "_hash"))
    ]


def personal_data_export(user) -> dict:
    """Everything the platform holds about `user`, as JSON-ready values."""
    loans = Loan.objects.filter(borrower=user)
    return {
        "format_version": FORMAT_VERSION,
        "account": {
            "id": user.pk,
            "email": user.email,
            "date_joined": _plain(user.date_joined),
            "last_login": _plain(user.last_login),
            "roles": sorted(user.groups.values_list("name", flat=True)),
        },
        "identity": _identity(user),
        "enterprise": _enterprise(user),
        "investor_profile": (
            _rows(InvestorProfile.objects.filter(user=user), _model_fields(InvestorProfile))
            or [None]
        )[0],
        "borrower_profile": (
            _rows(BorrowerProfile.objects.filter(user=user), _model_fields(BorrowerProfile))
            or [None]
        )[0],
        "wallet_accounts": _rows(
            LedgerAccount.objects.filter(owner=user), ["id", "kind", "currency", "balance_amount"]
        ),
        "ledger_postings": _rows(
            Posting.objects.filter(account__owner=user),
            [
                "id",
                "entry_id",
                "entry__kind",
                "entry__memo",
                "account__kind",
                "amount",
                "currency",
                "created_at",
            ],
        ),
        "deposits": _rows(Deposit.objects.filter(user=user), _model_fields(Deposit)),
        "withdrawals": _rows(Withdrawal.objects.filter(user=user), _model_fields(Withdrawal)),
        "applications": _rows(
            Application.objects.filter(borrower=user),
            [
                "id",
                "product__code",
                "amount",
                "term_months",
                "method",
                "purpose",
                "purpose_detail",
                "status",
                "grade",
                "annual_rate",
                "submitted_at",
                "decided_at",
            ],
        ),
        "loans": _rows(
            loans,
            [
                "id",
                "reference",
                "amount",
                "annual_rate",
                "term_months",
                "method",
                "status",
                "listed_on",
                "disbursed_on",
                "closed_at",
            ],
        ),
        "installments": _rows(
            Installment.objects.filter(loan__in=loans), _model_fields(Installment)
        ),
        "repayments": _rows(
            Repayment.objects.filter(borrower=user),
            [
                "id",
                "loan__reference",
                "amount",
                "principal_amount",
                "interest_amount",
                "penalty_amount",
                "late_fee_amount",
                "prepayment_fee_amount",
                "source",
                "paid_on",
            ],
        ),
        "investments": _rows(
            Investment.objects.filter(investor=user),
            [
                "id",
                "loan__reference",
                "amount",
                "status",
                "source",
                "principal_received_amount",
                "created_at",
            ],
        ),
        "payouts": _rows(
            Payout.objects.filter(investor=user),
            [
                "id",
                "investment_id",
                "repayment__loan__reference",
                "principal_amount",
                "interest_amount",
                "penalty_amount",
                "fee_amount",
                "net_amount",
                "paid_on",
            ],
        ),
        "auto_invest_rules": _rows(
            AutoInvestRule.objects.filter(investor=user), _model_fields(AutoInvestRule)
        ),
        "notifications": _rows(
            Notification.objects.filter(user=user),
            ["id", "kind", "title", "body", "created_at", "read_at"],
        ),
        "complaints": [
            {
                "id": c.pk,
                "category": c.category,
                "subject": c.subject,
                "status": c.status,
                "created_at": _plain(c.created_at),
                "messages": [
                    {
                        "from_staff": m.is_staff_reply,
                        "text": m.text,
                        "created_at": _plain(m.created_at),
                        "attachments": [a.name for a in m.attachments.all()],
                    }
                    for m in c.messages.all()
                ],
            }
            for c in Complaint.objects.filter(user=user)
            .prefetch_related("messages__attachments")
            .order_by("pk")
        ],
        "marketing_consent": _rows(
            MarketingConsent.objects.filter(user=user), ["granted", "changed_at"]
        ),
        "marketing_consent_changes": _rows(
            ConsentChange.objects.filter(user=user), ["granted", "source", "changed_at"]
        ),
        "attribution": _rows(Attribution.objects.filter(user=user), _model_fields(Attribution)),
        "audit_events": _rows(
            AuditEvent.objects.filter(actor=user),
            ["id", "occurred_at", "action", "subject_type", "subject_id", "ip_address"],
        ),
    }
