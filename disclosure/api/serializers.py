"""Serializers of the platform statistics API: every figure named, decimals as strings,
no personal data (the figures are aggregates; loan ids stay behind the staff drill-down)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disclosure.services.statistics_figures import (
    AMOUNT_FIGURES,
    FIGURE_SETS,
    RATIO_FIGURES,
    figures_from_json,
)


def _figure_field(name: str) -> serializers.Field:
    if name in AMOUNT_FIGURES:
        return serializers.DecimalField(max_digits=16, decimal_places=2)
    if name in RATIO_FIGURES:
        return serializers.DecimalField(
            max_digits=5, decimal_places=4, help_text="A fraction: 0.0125 is 1.25%."
        )
    return serializers.IntegerField(min_value=0)


StatisticsFiguresSerializer = type(
    "StatisticsFiguresSerializer",
    (serializers.Serializer,),
    {name: _figure_field(name) for name in FIGURE_SETS},
)


class FeeSerializer(serializers.Serializer):
    product = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    service_fee_rate = serializers.DecimalField(max_digits=7, decimal_places=6)
    platform_fee_rate = serializers.DecimalField(max_digits=7, decimal_places=6)
    late_fee_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    penalty_daily_rate = serializers.DecimalField(max_digits=7, decimal_places=6)
    prepayment_fee_rate = serializers.DecimalField(max_digits=7, decimal_places=6)
    grace_days = serializers.IntegerField()


class StatisticsSnapshotSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM (monthly report) or YYYY-MM-DD (a day).")
    kind = serializers.ChoiceField(choices=["daily", "monthly"])
    version = serializers.IntegerField(min_value=1)
    as_of = serializers.DateField()
    period_start = serializers.DateField()
    published_on = serializers.DateField(source="publish_on")
    currency = serializers.SerializerMethodField()
    restatement_note = serializers.CharField(allow_blank=True)
    figures = serializers.SerializerMethodField()
    fees = FeeSerializer(many=True)

    def get_currency(self, obj) -> str:
        return settings.PLATFORM_CURRENCY

    @extend_schema_field(StatisticsFiguresSerializer)
    def get_figures(self, obj) -> dict:
        return StatisticsFiguresSerializer(figures_from_json(obj.figures)).data
