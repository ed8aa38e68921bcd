"""The investor's portfolio over the API: GET /api/v1/portfolio (figures, returns, expected
payments, allocation, statement years) and GET /api/v1/portfolio/investments/{id} (one
investment's cash flows). Reads only; lending.portfolio computes, this shapes."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lending import portfolio
from lending.api.permissions import IsInvestor


def _money(**kwargs):
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kwargs)


def _rate():
    return serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        allow_null=True,
        help_text="Annual rate as a fraction (0.0850 = 8.50%); null before 30 days of flows.",
    )


class PortfolioReceivedSerializer(serializers.Serializer):
    principal = _money()
    interest = _money()
    penalty_interest = _money(source="penalty")
    fees = _money()
    net = _money()
    earned = _money(help_text="Interest and penalty interest after the platform's fees.")


class PortfolioExpectedPaymentSerializer(serializers.Serializer):
    investment_id = serializers.IntegerField()
    loan_id = serializers.IntegerField()
    loan_reference = serializers.CharField()
    installment_number = serializers.IntegerField()
    due_on = serializers.DateField()
    is_overdue = serializers.BooleanField()
    principal = _money()
    interest = _money()
    fee = _money()
    net = _money()


class PortfolioSliceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = _money()
    loans = serializers.IntegerField()
    share = serializers.DecimalField(max_digits=6, decimal_places=4)


class PortfolioNextPaymentSerializer(serializers.Serializer):
    due_on = serializers.DateField()
    amount = _money()


class PortfolioSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    invested = _money(help_text="Principal lent in loans paid out, ever.")
    reserved = _money(help_text="Ordered or reserved, waiting for the loan to be paid out.")
    received = PortfolioReceivedSerializer()
    outstanding_principal = _money(source="outstanding")
    defaulted_principal = _money(source="defaulted")
    losses = _money(help_text="Outstanding principal of written-off loans.")
    xirr = _rate()
    xirr_net_of_losses = _rate()
    next_payment = serializers.SerializerMethodField()
    expected_total = PortfolioReceivedSerializer()
    expected_payments = PortfolioExpectedPaymentSerializer(source="next_payments", many=True)
    allocation_by_grade = PortfolioSliceSerializer(source="by_grade", many=True)
    allocation_by_status = PortfolioSliceSerializer(source="by_status", many=True)
    statement_years = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(responses=PortfolioNextPaymentSerializer(allow_null=True))
    def get_next_payment(self, obj) -> dict | None:
        if obj.next_payment is None:
            return None
        on, amount = obj.next_payment
        return PortfolioNextPaymentSerializer({"due_on": on, "amount": amount}).data


class PortfolioFlowSerializer(serializers.Serializer):
    on = serializers.DateField()
    kind = serializers.ChoiceField(choices=["investment", "payout", "expected"])
    installments = serializers.CharField()
    principal = _money()
    interest = _money()
    penalty_interest = _money(source="penalty")
    fee = _money()
    amount = _money(help_text="Signed and net: money lent is negative.")
    is_overdue = serializers.BooleanField()


class InvestmentCashFlowsSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="investment.id")
    status = serializers.CharField(source="investment.status")
    loan_id = serializers.IntegerField(source="investment.loan_id")
    loan_reference = serializers.CharField(source="investment.loan.reference")
    loan_status = serializers.CharField(source="investment.loan.status")
    amount = _money(source="investment.amount")
    currency = serializers.CharField(source="investment.currency")
    outstanding_principal = _money(source="outstanding")
    received = PortfolioReceivedSerializer()
    xirr = _rate()
    xirr_net_of_losses = _rate()
    flows = PortfolioFlowSerializer(many=True)


class PortfolioApi(APIView):
    permission_classes = [IsInvestor]

    @extend_schema(responses=PortfolioSerializer)
    def get(self, request):
        return Response(PortfolioSerializer(portfolio.portfolio_summary(request.user)).data)


class PortfolioInvestmentApi(APIView):
    permission_classes = [IsInvestor]

    @extend_schema(responses=InvestmentCashFlowsSerializer)
    def get(self, request, pk: int):
        flows = portfolio.investment_cash_flows(request.user, pk)
        return Response(InvestmentCashFlowsSerializer(flows).data)
