"""Run every benchmark module, each in a throwaway PostgreSQL database of its own, and report
the figures.

Each module in MODULES exposes `NAME` and `run(db) -> list[Result]`; its results are
printed as a table and written to bench/results/<NAME>.json. Add a module (e.g.
bench/lending.py) to MODULES to benchmark another capability.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p python -m bench [module ...]
"""

import importlib
import json
import os
import sys
from pathlib import Path

MODULES = [
    "bench.custody",
    "bench.lending",
    "bench.payouts",
    "bench.servicing",
    "bench.segments",
    "bench.exports",
]
RESULTS = Path(__file__).resolve().parent / "results"


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"bench_{settings.DATABASES['default']['NAME']}"
    )
    return connection


def main(argv: list[str]) -> int:
    from bench.harness import BenchDatabase, print_table

    connection = _setup_django()
    selected = [m for m in MODULES if not argv or m.rsplit(".", 1)[-1] in argv]
    failed = False
    for dotted in selected:
        # A fresh database per module, on a settled server: one module's leftovers (the
        # ledger bench writes 2,000,000 postings) must not slow the next one's figures.
        with BenchDatabase(connection) as db:
            module = importlib.import_module(dotted)
            results = module.run(db)
            print_table(module.NAME, results)
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"{module.NAME}.json").write_text(
                json.dumps([r.as_dict() for r in results], indent=2) + "\n"
            )
            failed |= any(not r.passed for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
