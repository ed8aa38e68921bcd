from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.labels import translate_default_labels


class PromotionConfig(AppConfig):
    name = "promotion"
    verbose_name = _("Promotion")

    def ready(self) -> None:
        # The admin shows the labels Django derives for fields and models translated.
        translate_default_labels(self)

        from lending.services.batch import daily_step_register
        from promotion import signals  # noqa: F401  (connects the signup and lending receivers)
        from promotion.services.referrals import referrals_settle

        # A sweeper: it settles what is decidable now whatever the date (lost enqueues,
        # windows that closed, rewards held for the next month's budget).
        daily_step_register(
            "referrals_settle", lambda as_of: referrals_settle(as_of=as_of), sweeper=True
        )
