"""Migration tests move the test database to a migration and back: the app registry of the
state they reach, built from the migrations themselves."""

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str]]) -> Apps:
    """Migrate the database to `targets` ((app, migration) pairs); return the models as
    they were there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    """Migrate the database forward to every app's last migration."""
    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())
