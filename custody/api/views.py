"""API views of the wallet: balances, postings (paginated, filterable, CSV), deposits and
withdrawals (money-moving POSTs take an Idempotency-Key)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsCustomer
from core.audit import AuditContext
from core.idempotency import HEADER, KEY_PATTERN, idempotency_key_from, idempotent
from custody import selectors
from custody.api.serializers import (
    DepositCreateSerializer,
    DepositSerializer,
    PostingFilterSerializer,
    PostingSerializer,
    WalletSerializer,
    WithdrawalCreateSerializer,
    WithdrawalSerializer,
)
from custody.exports import postings_csv_response
from custody.services.movements import deposit_request, withdrawal_request

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    pattern=KEY_PATTERN,
    description="1-255 printable ASCII characters",
)


class WalletDetailApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(responses=WalletSerializer)
    def get(self, request):
        balance = selectors.wallet_balance(user_id=request.user.pk)
        check = selectors.custodian_balance_check(
            user_id=request.user.pk, ledger_total=balance.total
        )
        return Response(
            WalletSerializer(
                {
                    "available": balance.available,
                    "reserved": balance.reserved,
                    "total": balance.total,
                    "currency": balance.currency,
                    "custodian_total": check.custodian_total,
                    "custodian_differs": check.differs,
                    "movements_in_flight": check.movements_in_flight,
                    "reconciled_at": check.reconciled_at,
                }
            ).data
        )


class WalletEntryListApi(ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = PostingSerializer

    def get_queryset(self):
        # A plain dict, not the QueryDict: DRF reads an empty `?kind=` in a QueryDict as no
        # filter at all, where the schema (and the marketplace's filters) call it invalid.
        self.filters = PostingFilterSerializer(data=self.request.query_params.dict())
        self.filters.is_valid(raise_exception=True)
        params = {k: v for k, v in self.filters.validated_data.items() if k != "export"}
        return selectors.wallet_posting_list(user_id=self.request.user.pk, **params)

    @extend_schema(
        parameters=[PostingFilterSerializer],
        responses={
            (200, "application/json"): PostingSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request, *args, **kwargs):
        postings = self.get_queryset()
        if self.filters.validated_data.get("export") == "csv":
            # The export has every row, but its page parameters are still read as the
            # schema states them: junk there is refused as on any page of the list.
            self.paginator.get_page_size(request)
            self.paginator.get_page_number(request, paginator=None)
            return postings_csv_response(postings, "wallet-entries.csv")
        return super().list(request, *args, **kwargs)


class WalletDepositListCreateApi(ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = DepositSerializer
    throttle_scope = "money_deposit"

    def get_queryset(self):
        return selectors.deposit_list(user_id=self.request.user.pk)

    @extend_schema(
        request=DepositCreateSerializer,
        responses={201: DepositSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        data = DepositCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = deposit_request(
            user=request.user,
            amount=data.validated_data["amount"],
            request_key=f"api:{idempotency_key_from(request)}",
            context=AuditContext.of(request),
        )
        return Response(DepositSerializer(deposit).data, status=status.HTTP_201_CREATED)


class WalletWithdrawalListCreateApi(ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = WithdrawalSerializer
    throttle_scope = "money_withdrawal"

    def get_queryset(self):
        return selectors.withdrawal_list(user_id=self.request.user.pk)

    @extend_schema(
        request=WithdrawalCreateSerializer,
        responses={201: WithdrawalSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        data = WithdrawalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = withdrawal_request(
            user=request.user,
            amount=data.validated_data["amount"],
            confirmation=data.validated_data["password"],
            request_key=f"api:{idempotency_key_from(request)}",
            context=AuditContext.of(request),
        )
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)
