"""What every benchmark module shares: the throwaway database, timing, the result table."""

import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path


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
        self.settle()
        return self

    def settle(self, timeout: float = 120.0) -> None:
        """Let the server finish the work earlier writes left it, so that it does not run
        during the measurements: flush dirty pages now (CHECKPOINT, which needs superuser
        or pg_checkpoint; skipped without), then wait for autovacuum workers to finish."""
        from django.db import DatabaseError

        with self.connection.cursor() as cursor:
            try:
                cursor.execute("CHECKPOINT")  # autocommit: a refusal leaves no broken block
            except DatabaseError:
                pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                )
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(1)

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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one live process, from /proc/<pid>/stat (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # it ended: its CPU is lost to this meter, not double-counted
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _pids(match) -> list[int]:
    """Live processes whose (pid, parent pid, command name) satisfy `match`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if match(int(entry.name), ppid, comm):
            pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU seconds spent by a web server's processes, by PostgreSQL's and by this process
    (the load generator) while the block runs: where a request's cost lands on a machine
    whose cores they all share.

        with CpuMeter(server_pid) as cpu:
            ...
        cpu.per_request_ms(3000)  # {"server": .., "database": .., "client": .., "total": ..}
    """

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def _sample(self) -> dict[str, dict[int, float]]:
        server = _pids(lambda pid, ppid, _: self.server_pid in (pid, ppid))
        database = _pids(lambda pid, ppid, comm: comm.startswith("postgres"))
        own = os.times()
        return {
            "server": {pid: _cpu_seconds(pid) for pid in server},
            "database": {pid: _cpu_seconds(pid) for pid in database},
            "client": {os.getpid(): own.user + own.system},
        }

    def __enter__(self):
        self.before = self._sample()
        return self

    def __exit__(self, *exc):
        # Per process: one that started inside the block counts from zero; one that ended
        # inside it drops out (its last CPU is lost, never subtracted).
        after = self._sample()
        self.seconds = {
            group: sum(
                cpu - self.before[group].get(pid, 0.0) for pid, cpu in after[group].items() if cpu
            )
            for group in after
        }

    def per_request_ms(self, requests: int) -> dict[str, float]:
        out = {k: round(v * 1000 / requests, 2) for k, v in self.seconds.items()}
        out["total"] = round(sum(self.seconds.values()) * 1000 / requests, 2)
        return out


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
