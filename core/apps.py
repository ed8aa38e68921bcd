from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.labels import translate_default_labels


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The admin shows the labels Django derives for fields and models translated.
        translate_default_labels(self)
