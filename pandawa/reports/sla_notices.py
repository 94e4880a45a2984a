"""SLA alerts by e-mail (issue 17), optional: with `SLA_ALERT_EMAIL_SMTP_URL` set, each new
alert is e-mailed to the supervisors who gave an address for alerts (/dashboard/settings) and
whose sight covers the ticket — `visibility_clause(user)`, the rule every page uses, so a
scoped supervisor hears only of her offices' tickets. At 100 % admins are told as well (the
escalation of the service standards: 80 % warns the supervisors before the breach).

Nothing lost, nothing twice: the beat writes one `sla_alert_notice` row per alert and person in
the alert's transaction (unique) and hands `dashboard.send_sla_alert_email` its id after the
commit; the task sends with the standard library's smtplib and stamps `sent_at`, and a notice
already stamped is not sent again. The e-mail names the ticket number, queue, target and time
waited, never the citizen's name, number or messages.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.core.config import current_settings
from pandawa.core.jobs import enqueue_after_commit
from pandawa.reports.models import SlaAlert, SlaAlertNotice
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.queries import visibility_clause

log = logging.getLogger(__name__)

SEND_TASK = "dashboard.send_sla_alert_email"
SMTP_TIMEOUT_SECONDS = 10
KIND_WORDS = {
    "first_response": ("tanggapan pertama", "first response"),
    "resolution": ("penyelesaian", "resolution"),
}


def recipients(session: Session, ticket_ids: list[int], level: int) -> dict[int, list[User]]:
    """By ticket id, the users to e-mail about an alert of `level` on it: active supervisors
    with an alert address who see the ticket, and admins too at 100 %."""
    roles = ("supervisor", "admin") if level >= 100 else ("supervisor",)
    users = session.scalars(
        sa.select(User).where(
            User.is_active.is_(True), User.role.in_(roles), User.alert_email.is_not(None)
        )
    ).all()
    found: dict[int, list[User]] = {}
    for user in users:  # one query per addressee: a handful of supervisors, never per ticket
        seen = session.scalars(
            sa.select(Ticket.id).where(Ticket.id.in_(ticket_ids), visibility_clause(user))
        )
        for ticket_id in seen:
            found.setdefault(ticket_id, []).append(user)
    return found


def queue_notices(session: Session, alert_ids: list[int], at: datetime) -> int:
    """Notice rows and their send tasks for the new alerts; none without an SMTP URL."""
    if not alert_ids or not current_settings().sla_alert_email_smtp_url:
        return 0
    alerts = session.scalars(sa.select(SlaAlert).where(SlaAlert.id.in_(alert_ids))).all()
    count = 0
    for level in sorted({a.level for a in alerts}):
        of_level = [a for a in alerts if a.level == level]
        people = recipients(session, sorted({a.ticket_id for a in of_level}), level)
        for alert in of_level:
            for user in people.get(alert.ticket_id, []):
                notice = SlaAlertNotice(
                    alert_id=alert.id, user_id=user.id, channel="email", created_at=at
                )
                session.add(notice)
                session.flush()
                enqueue_after_commit(session, SEND_TASK, notice.id)
                count += 1
    return count


def compose(alert: SlaAlert, number: str, queue: Queue, to: str, sender: str) -> EmailMessage:
    kind_id, kind_en = KIND_WORDS[alert.kind]
    waited, target = alert.waited_seconds // 60, alert.target_seconds // 60
    board = f"{current_settings().public_base_url}/dashboard"
    if alert.level >= 100:
        head_id, head_en = "Target terlampaui", "Target exceeded"
    else:
        head_id, head_en = "80 % target", "80 % of target"
    message = EmailMessage()
    message["Subject"] = f"[Pandawa] {head_id} / {head_en}: {number} ({queue.code})"
    message["From"] = sender
    message["To"] = to
    message.set_content(
        f"Peringatan SLA: tiket {number} di antrean {queue.name_id} ({queue.code}) telah "
        f"menunggu {waited} menit waktu kerja untuk {kind_id}; targetnya {target} menit "
        f"({alert.level} %).\nPapan: {board}\n\n"
        f"SLA alert: ticket {number} in queue {queue.name_en} ({queue.code}) has waited "
        f"{waited} business minutes for its {kind_en}; the target is {target} minutes "
        f"({alert.level} %).\nBoard: {board}\n"
    )
    return message


def send_notice(session: Session, notice_id: int, at: datetime) -> str:
    """Send one notice unless already sent; the caller commits. SMTP failures propagate (the
    task retries them)."""
    url = current_settings().sla_alert_email_smtp_url
    row = session.execute(
        sa.select(SlaAlertNotice, SlaAlert, Ticket.number, Queue, User.alert_email)
        .join(SlaAlert, SlaAlert.id == SlaAlertNotice.alert_id)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .join(Queue, Queue.id == SlaAlert.queue_id)
        .join(User, User.id == SlaAlertNotice.user_id)
        .where(SlaAlertNotice.id == notice_id)
        .with_for_update(of=SlaAlertNotice, skip_locked=True)
    ).one_or_none()
    if row is None:
        return "gone"  # removed, or another worker is sending it right now
    notice, alert, number, queue, address = row
    if notice.sent_at is not None:
        return "already_sent"
    if not url or not address:
        return "off"
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    sender = f"pandawa@{urlsplit(current_settings().public_base_url).hostname or host}"
    with smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.send_message(compose(alert, number, queue, address, sender))
    notice.sent_at = at
    session.flush()
    log.info("sla alert %s e-mailed to user %s", alert.id, notice.user_id)
    return "sent"
