from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionConfig(AppConfig):
    name = "promotion"
    verbose_name = _("Promotion")

    def ready(self) -> None:
        from promotion import signals  # noqa: F401  (connects the signup receiver)
