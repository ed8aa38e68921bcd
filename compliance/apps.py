from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        # A platform statistics snapshot blocked by a failed check raises an ops alert.
        from compliance.services.statistics_alerts import statistics_block_alert
        from disclosure.services.statistics import statistics_block_listener_register

        statistics_block_listener_register(statistics_block_alert)
