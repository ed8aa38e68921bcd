"""The ops alert for platform statistics blocked by a failed consistency check.

Disclosure sits below compliance and cannot raise compliance's alerts: it calls the
listeners registered with disclosure.services.statistics.statistics_block_listener_register,
and compliance's ready() registers `statistics_block_alert`, which runs inside the
transaction that stores the blocked snapshot (both commit or neither)."""

from compliance.models import OpsAlert
from compliance.services.alerts import alert_raise

KIND = "disclosure_statistics_blocked"


def statistics_block_alert(snapshot) -> OpsAlert:
    failed = snapshot.failed_checks
    return alert_raise(
        kind=KIND,
        subject=f"statistics:{snapshot.period}:v{snapshot.version}",
        title=f"Platform statistics {snapshot.period} (version {snapshot.version}) not "
        f"published: {', '.join(check['name'] for check in failed)}",
        detail="\n".join(f"{check['name']}: {check['detail']}" for check in failed)
        + "\n\nFix the cause, then restate the period from the admin (Platform statistics).",
    )
