"""Related parties: a reviewer or compliance marks a borrower as related to the platform
(the related-party loans of the platform statistics), or removes the mark; both audited.

Nothing in the project recorded related parties before; this mark, kept by disclosure,
is the smallest way: one row per borrower, set in the admin."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import Conflict, NotFound
from disclosure.models import RelatedParty
from disclosure.services.statistics_errors import StatisticsError

MARKER_ROLES = (Role.REVIEWER, Role.COMPLIANCE)


class RelatedPartyRoleRequired(StatisticsError):
    code = "role_required"
    status_code = 403
    message = _("Only a reviewer or compliance may mark related parties.")


def _ensure_marker(actor) -> None:
    if not any(actor.has_role(role) for role in MARKER_ROLES):
        raise RelatedPartyRoleRequired()


@transaction.atomic
def related_party_mark(
    *, borrower_id: int, relation: str, actor, context: AuditContext = SYSTEM
) -> RelatedParty:
    _ensure_marker(actor)
    relation = (relation or "").strip()[:200]
    if not relation:
        raise StatisticsError(_("Say how the borrower is related."), code="relation_required")
    borrower = get_user_model().objects.filter(pk=borrower_id, is_staff=False).first()
    if borrower is None:
        raise NotFound()
    try:
        with transaction.atomic():
            mark = RelatedParty.objects.create(
                borrower=borrower, relation=relation, marked_by=actor
            )
    except IntegrityError as exc:
        raise Conflict(_("The borrower is marked already."), code="already_marked") from exc
    audit_record(
        action="disclosure.related_party_marked",
        subject_type="user",
        subject_id=borrower.pk,
        actor=actor,
        after={"relation": relation},
        context=context,
    )
    return mark


@transaction.atomic
def related_party_unmark(*, borrower_id: int, actor, context: AuditContext = SYSTEM) -> None:
    _ensure_marker(actor)
    mark = RelatedParty.objects.select_for_update().filter(borrower_id=borrower_id).first()
    if mark is None:
        raise NotFound()
    audit_record(
        action="disclosure.related_party_unmarked",
        subject_type="user",
        subject_id=borrower_id,
        actor=actor,
        before={"relation": mark.relation, "marked_by": mark.marked_by_id},
        context=context,
    )
    mark.delete()
