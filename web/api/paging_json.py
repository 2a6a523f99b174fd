"""JSON of paging: an alert's escalations and pending pages, a person's notification log."""

from __future__ import annotations

from typing import Any, Final

from engine import PAGING_EVENT_TYPES, OrgState, paging_alert_due

__all__ = ["PAGING_EVENT_NAMES", "notification_records", "paging_view"]

PAGING_EVENT_NAMES: Final = frozenset(t.__name__ for t in PAGING_EVENT_TYPES)


def paging_view(state: OrgState, alert_id: str) -> dict[str, Any]:
    """The alert's escalations (policy, version, next firing) and undelivered pages."""
    held = state.paging.alerts.get(alert_id)
    escalations = []
    for run in held.runs if held is not None else []:
        policy = state.escalations.policies.get(run.policy_id or "")
        escalations.append(
            {
                "runId": run.run_id,
                "policy": (
                    {"id": run.policy_id, "name": policy.name if policy else None}
                    if run.policy_id
                    else None
                ),
                "policyVersion": run.policy_version or None,
                "recipient": (
                    {"type": run.recipient_type, "id": run.recipient_id}
                    if run.recipient_type
                    else None
                ),
                "startedAt": run.started_at.isoformat(),
                "reason": run.reason,
                "heldBy": run.held_by,
                "nextPass": run.next_pass,
                "nextRule": run.next_index,
                "done": run.done,
            }
        )
    pending = [
        {
            "notificationId": p.notification_id,
            "accountId": p.account_id,
            "contactMethodId": p.contact_method_id,
            "method": p.method,
            "requestedAt": p.requested_at.isoformat(),
            "late": p.late,
            "reason": p.reason,
        }
        for p in state.paging.outbox.values()
        if p.alert_id == alert_id
    ]
    due = paging_alert_due(state.paging, state, alert_id)
    return {
        "escalations": escalations,
        "pending": pending,
        "nextDueAt": due.isoformat() if due is not None else None,
    }


def notification_records(state: OrgState, account_id: str) -> list[dict[str, Any]]:
    """A person's latest notifications, newest first."""
    alerts = state.alerts.alerts
    return [
        {
            "notificationId": r.notification_id or None,
            "alertId": r.alert_id,
            "alertTinyId": str(alerts[r.alert_id].tiny_id) if r.alert_id in alerts else None,
            "alertMessage": alerts[r.alert_id].message if r.alert_id in alerts else None,
            "contactMethodId": r.contact_method_id or None,
            "method": r.method or None,
            "status": r.status,
            "reason": r.reason,
            "at": r.at.isoformat(),
            "late": r.late,
            "possiblyDuplicate": r.possibly_duplicate,
        }
        for r in reversed(state.paging.recent.get(account_id, []))
    ]
