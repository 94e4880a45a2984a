"""Writing audit events. The caller's transaction carries the row: an act and its record
commit together, or neither does."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pandawa.audit.models import AuditEvent
from pandawa.core import clock

ACTIONS = frozenset(
    {
        # sign-in and sessions
        "sign_in",
        "sign_in_failed",
        "sign_in_throttled",
        "sign_out",
        "sign_out_everywhere",
        "session_expired",
        "password_changed",
        "user_deactivated",
        # API tokens
        "token_created",
        "token_used",
        "token_revoked",
        "token_rejected",
        # personal data
        "reveal",
        "document_view",
        "document_send",  # an agent sent the citizen a file (issue 16)
        "privacy_export",
        "privacy_erase",
        "retention_erase",
        "audit_export",
        # a search by part of a phone number (issue 16): digits typed could find the hidden ones
        "phone_search",
        # backups hold everyone's data (issue 14)
        "backup_created",
        "backup_restored",
        # canned responses edited by supervisors (issue 16)
        "canned_created",
        "canned_updated",
        "canned_retired",
        "canned_restored",
        # abusive numbers blocked and unblocked by staff (issue 16)
        "contact_blocked",
        "contact_unblocked",
        # a ticket's resolution taken back in the console (issue 16)
        "resolve_undone",
        # an office or queue closed now, extra opening hours, and their undo (issue 17)
        "office_closed",
        "office_opened",
        "office_override_undone",
        # a supervisor bound to offices or regions, or made agency-wide again (issue 17)
        "user_scope_changed",
        # SLA alerts and the queue settings page (issue 17)
        "sla_alert_acknowledged",
        "queue_settings_changed",
        "agent_capacity_changed",
        "alert_email_changed",
        "alert_whatsapp_changed",
        # a queue's surge mode switched on or off, by a supervisor or by its rule (issue 17)
        "surge_on",
        "surge_off",
    }
)


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    actor_label: str = "",
    contact_id: int | None = None,
    ticket_number: str | None = None,
    field: str | None = None,
    address: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit row to `session` (the caller commits)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        at=clock.now(),
        action=action,
        actor_id=actor_id,
        actor_label=actor_label[:100],
        contact_id=contact_id,
        ticket_number=ticket_number,
        field=field,
        address=(address or "")[:64],
        details=details or {},
    )
    session.add(event)
    return event
