from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "disclosure"

    def ready(self):
        # Platform statistics: the daily batch's snapshot step (lending never imports us).
        from disclosure.services.statistics import disclosure_snapshot
        from lending.services.batch import daily_step_register

        daily_step_register("disclosure_snapshot", disclosure_snapshot)
