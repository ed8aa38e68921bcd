"""A module-scoped fixture that lets transactional tests which write audit events be flushed."""

import importlib

import pytest
from django.db import connection

from compliance.audit import AuditChainHead


@pytest.fixture(scope="module")
def audit_flushable(django_db_setup, django_db_blocker):
    """Lift the append-only triggers for one module, then restore them and the chain head.

    The flush after a transactional test deletes audit rows, which the triggers refuse,
    and removes the chain head the data migration made. A module-scoped fixture is torn
    down after that flush, so it can put both back for the tests that follow.
    """
    migration = importlib.import_module("compliance.migrations.0002_chain_head_and_append_only")
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        migration.drop_triggers(None, editor)
    yield
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            migration.install_triggers(None, editor)
        AuditChainHead.objects.get_or_create(pk=1)
