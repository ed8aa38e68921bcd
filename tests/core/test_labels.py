"""The labels Django derives for the project's fields and models ("principal amount",
"loans") are translations: each app's generated verbose_names module lists every one of them
for makemessages, the catalogues translate them, and the migrations never see them."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.migrations.state import ModelState
from django.test.utils import isolate_apps
from django.utils import translation

from core.labels import (
    LABEL_CONTEXT,
    LABELS_MODULE,
    default_labels,
    labelled_apps,
    labels_module_text,
)

PROJECT_APPS = ["core", "accounts", "custody", "lending", "disclosure", "promotion", "compliance"]


def _listed(app_config) -> set[str]:
    """The labels the app's committed module lists (its source, as makemessages reads it)."""
    module = Path(app_config.path) / f"{LABELS_MODULE}.py"
    assert module.is_file(), f"{module} is missing: run manage.py labels_generate"
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {
        call.args[1].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "pgettext_lazy"
        if call.args[0].value == LABEL_CONTEXT
    }


def _missing(app_config) -> list[str]:
    return sorted(set(default_labels(app_config)) - _listed(app_config))


def test_every_project_app_with_models_labels_them():
    """A new app with models must call translate_default_labels in its AppConfig.ready()."""
    base = Path(settings.BASE_DIR)
    with_models = {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).parent == base and list(config.get_models())
    }
    assert set(PROJECT_APPS) <= with_models
    assert with_models <= labelled_apps, "call translate_default_labels in their ready()"


@pytest.mark.parametrize("label", PROJECT_APPS)
def test_the_generated_module_lists_every_derived_label(label):
    app_config = apps.get_app_config(label)
    assert not _missing(app_config), (
        f"{label}: labels without a translation entry, run `manage.py labels_generate`, "
        f"then makemessages, and translate them: {_missing(app_config)}"
    )
    module = Path(app_config.path) / f"{LABELS_MODULE}.py"
    assert module.read_text(encoding="utf-8") == labels_module_text(app_config), (
        f"{module} is out of date (a label went away or it was edited by hand): "
        "run manage.py labels_generate"
    )


@isolate_apps("lending")
def test_a_field_or_model_added_without_a_label_is_caught():
    """The check above fails for a field or model the module does not list yet."""

    class RepaymentHoliday(models.Model):
        loan_reference = models.CharField(max_length=32)
        deferred_interest_amount = models.DecimalField(max_digits=18, decimal_places=2)
        reason = models.CharField(max_length=200, verbose_name="why")  # explicit: not derived

        class Meta:
            app_label = "lending"

        def __str__(self):
            return self.loan_reference

    isolated = RepaymentHoliday._meta.apps.get_app_config("lending")
    assert _missing(isolated) == [
        "deferred interest amount",
        "loan reference",
        "repayment holiday",
        "repayment holidays",
    ]


def test_the_labels_are_lazy_translations_the_migrations_do_not_see():
    from lending.models import Installment, Loan

    field = Installment._meta.get_field("principal_amount")
    assert field._verbose_name is None and "verbose_name" not in field.deconstruct()[3]
    state = ModelState.from_model(Loan)
    assert "verbose_name" not in state.options and "verbose_name_plural" not in state.options
    with translation.override("en"):
        assert str(field.verbose_name) == "principal amount"
        assert str(Loan._meta.verbose_name_plural) == "loans"
    with translation.override("zh-hans"):
        assert str(field.verbose_name) == "本金金额"
        # Not the counter word of the project catalogue's "3 loans" (笔借款): the context.
        assert str(Loan._meta.verbose_name_plural) == "借款"


def test_explicit_labels_and_the_automatic_primary_key_are_left_alone():
    from disclosure.models import EventNotice
    from lending.models import Loan

    with translation.override("zh-hans"):
        assert str(Loan._meta.get_field("id").verbose_name) == "ID"
        # An explicit singular keeps its own translation; the plural Django derives from it
        # ("{}s") would read 重大事项公告s, so it gets one of its own.
        assert str(EventNotice._meta.verbose_name) == "重大事项公告"
        assert str(EventNotice._meta.verbose_name_plural) == "重大事项公告"


@pytest.mark.parametrize("label", PROJECT_APPS)
def test_every_derived_label_reads_in_chinese(label):
    app_config = apps.get_app_config(label)
    with translation.override("zh-hans"):
        english = [
            text
            for text in default_labels(app_config)
            if translation.pgettext(LABEL_CONTEXT, text) == text
        ]
    assert not english, f"{label}: no Chinese for {english}"
