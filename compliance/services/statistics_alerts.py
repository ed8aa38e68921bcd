"""The ops alert for platform statistics blocked by a failed consistency check.

Disclosure sits below compliance and cannot raise compliance's alerts: it calls the
listeners registered with disclosure.services.statistics.statistics_block_listener_register,
and compliance's ready() registers `statistics_block_alert`, which runs inside the
transaction that stores the blocked snapshot (both commit or neither)."""

from django.utils.translation import gettext_noop

from compliance.models import OpsAlert
from compliance.services.alerts import alert_raise

KIND = OpsAlert.Kind.STATISTICS_BLOCKED


def statistics_block_alert(snapshot) -> OpsAlert:
    failed = snapshot.failed_checks
    return alert_raise(
        kind=KIND,
        subject=f"statistics:{snapshot.period}:v{snapshot.version}",
        title=gettext_noop(
            "Platform statistics %(period)s (version %(version)s) not published: %(checks)s"
        ),
        # The checks' findings are the snapshot's own record (figures and check names), kept
        # as it wrote them; the instruction around them is in the reader's language.
        detail=gettext_noop(
            "%(findings)s\n\nFix the cause, then restate the period from the admin "
            "(Platform statistics)."
        ),
        params={
            "period": snapshot.period,
            "version": snapshot.version,
            "checks": ", ".join(check["name"] for check in failed),
            "findings": "\n".join(f"{check['name']}: {check['detail']}" for check in failed),
        },
    )
