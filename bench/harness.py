"""What every benchmark module shares: the throwaway database, timing, the result table."""

import statistics
import time
from dataclasses import asdict, dataclass


@dataclass
class Result:
    """One comparison: the service against its raw-SQL baseline, and the target it must meet."""

    name: str
    unit: str  # "ops/s" (higher is better) or "s" (lower is better)
    service: float
    baseline: float
    target: str  # e.g. ">= 0.3x" (throughput) or "<= 8x" (time)
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.service / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool:
        op, value = self.target.split()
        value = float(value.rstrip("x"))
        return self.ratio >= value if op == ">=" else self.ratio <= value

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 3), "passed": self.passed}


class BenchDatabase:
    """Create a fresh migrated database (bench_<name>) and drop it afterwards."""

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        self.old_name = self.connection.settings_dict["NAME"]
        self.name = self.connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=False, serialize=False
        )
        return self

    def __exit__(self, *exc):
        from django.db import connections

        connections.close_all()
        self.connection.creation.destroy_test_db(self.old_name, verbosity=0)

    def dsn(self) -> dict:
        s = self.connection.settings_dict
        return {
            k: v
            for k, v in {
                "dbname": s["NAME"],
                "user": s.get("USER") or None,
                "password": s.get("PASSWORD") or None,
                "host": s.get("HOST") or None,
                "port": s.get("PORT") or None,
            }.items()
            if v
        }


def timed(fn, repeat: int = 5) -> float:
    """Median wall time of fn() over `repeat` runs, in seconds."""
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title: str, results: list[Result]) -> None:
    header = (
        f"{'benchmark':<44} {'service':>12} {'baseline':>12} {'unit':>6} {'ratio':>7} "
        f"{'target':>8}  ok"
    )
    print(f"\n== {title} ==")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<44} {r.service:>12.4g} {r.baseline:>12.4g} {r.unit:>6} {r.ratio:>7.3f} "
            f"{r.target:>8}  {'yes' if r.passed else 'NO'}"
        )
        if r.note:
            print(f"    {r.note}")
