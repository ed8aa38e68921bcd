from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.labels import translate_default_labels


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        # The admin shows the labels Django derives for fields and models translated.
        translate_default_labels(self)

        from compliance.services.filings import filings_daily
        from compliance.services.statistics_alerts import statistics_block_alert
        from disclosure.services.statistics import statistics_block_listener_register
        from lending.services.batch import daily_step_register

        # A platform statistics snapshot blocked by a failed check raises an ops alert.
        statistics_block_listener_register(statistics_block_alert)
        # The day's loan-level filing, once the book is settled for the business date.
        daily_step_register("filings_daily", filings_daily)
