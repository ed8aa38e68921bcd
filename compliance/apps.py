from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from compliance.services.filings import filings_daily
        from lending.services.batch import daily_step_register

        # The day's loan-level filing, once the book is settled for the business date.
        daily_step_register("filings_daily", filings_daily)
