"""Platform statistics, loan disclosure, monthly reports and event notices."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.labels import translate_default_labels


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = _("Disclosure")

    def ready(self):
        # The admin shows the labels Django derives for fields and models translated.
        translate_default_labels(self)

        # Platform statistics: the daily batch's snapshot step (lending never imports us).
        from disclosure.services.statistics import disclosure_snapshot
        from lending.services.batch import daily_step_register

        daily_step_register("disclosure_snapshot", disclosure_snapshot)
