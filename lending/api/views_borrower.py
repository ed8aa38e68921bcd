"""The borrower's standing repayment authorisation in the API: read it, give it, withdraw it."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.audit import AuditContext
from lending import selectors
from lending.api import serializers as s
from lending.api.permissions import IsBorrower
from lending.services.repayments import authorisation_grant, authorisation_revoke


def _state(loan) -> dict:
    latest = selectors.repayment_authorisation_latest(loan)
    return {
        "loan_id": loan.pk,
        "is_active": latest is not None and latest.revoked_at is None,
        "granted_at": latest.granted_at if latest else None,
        "revoked_at": latest.revoked_at if latest else None,
    }


class BorrowingAuthorisationApi(APIView):
    """`/borrowings/{id}/authorisation`: the borrower's standing instruction to collect each
    installment from their wallet's available balance on its due date (only when it covers
    everything due; never more, never an early payoff). POST gives it (again: the active one
    is returned), DELETE withdraws it at once; money moves only on the borrower's
    instruction, and this is it, recorded and revocable. Another borrower's loan is 404; a
    loan that is not being repaid refuses POST with 409 `loan_not_repaying`."""

    permission_classes = [IsBorrower]

    def _loan(self, request, pk: int):
        return get_object_or_404(selectors.borrowing_list_for_borrower(request.user), pk=pk)

    @extend_schema(responses={200: s.RepaymentAuthorisationSerializer})
    def get(self, request, pk: int):
        loan = self._loan(request, pk)
        return Response(s.RepaymentAuthorisationSerializer(_state(loan)).data)

    @extend_schema(request=None, responses={200: s.RepaymentAuthorisationSerializer})
    def post(self, request, pk: int):
        loan = self._loan(request, pk)
        authorisation_grant(
            loan_id=loan.pk, borrower=request.user, context=AuditContext.of(request)
        )
        return Response(s.RepaymentAuthorisationSerializer(_state(loan)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        loan = self._loan(request, pk)
        authorisation_revoke(
            loan_id=loan.pk, borrower=request.user, context=AuditContext.of(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
