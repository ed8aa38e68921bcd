"""`manage.py labels_generate [--check]`: (re)write each app's generated labels module, the
pgettext_lazy() list through which makemessages finds the labels Django derives for fields
and models (see core.labels)."""

from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from core.labels import LABELS_MODULE, labelled_apps, labels_module_text


class Command(BaseCommand):
    help = (
        "Write <app>/verbose_names.py for every app whose AppConfig.ready() calls "
        "core.labels.translate_default_labels; then run makemessages and translate the new "
        "msgids. With --check, write nothing and fail if a module is out of date."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Fail if a module is missing or out of date."
        )

    def handle(self, *args, check, **options):
        stale = []
        for label in sorted(labelled_apps):
            app_config = apps.get_app_config(label)
            module = Path(app_config.path) / f"{LABELS_MODULE}.py"
            text = labels_module_text(app_config)
            if module.is_file() and module.read_text(encoding="utf-8") == text:
                continue
            stale.append(str(module))
            if not check:
                module.write_text(text, encoding="utf-8")
                self.stdout.write(f"Wrote {module} ({text.count('pgettext_lazy(') - 1} labels).")
        if check and stale:
            raise CommandError(
                "Out of date (run manage.py labels_generate, then makemessages): "
                + ", ".join(stale)
            )
        if not stale:
            self.stdout.write("Every labels module is up to date.")
