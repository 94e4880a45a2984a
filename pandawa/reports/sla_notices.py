"""SLA alerts by e-mail and WhatsApp (issue 17), optional: with `SLA_ALERT_EMAIL_SMTP_URL` set,
each new alert is e-mailed to the supervisors who gave an address for alerts
(/dashboard/settings), and with the catalogue's approved `sla_alert` template it goes to those
who gave a WhatsApp number; in both cases only to those whose sight covers the ticket
(`visibility_clause(user)`, the rule every page uses, so a scoped supervisor hears only of her
offices' tickets). At 100 % admins are told as well (the
escalation of the service standards: 80 % warns the supervisors before the breach).

Nothing lost, nothing twice: the beat writes one `sla_alert_notice` row per alert and person in
the alert's transaction (unique) and hands `dashboard.send_sla_alert_email` its id after the
commit; the task sends with the standard library's smtplib and stamps `sent_at`, and a notice
already stamped is not sent again. The e-mail names the ticket number, queue, target and time
waited, never the citizen's name, number or messages.

WhatsApp goes through the outbox like every message (`channels.outbox.queue_template`: an
approved template, so WhatsApp's 24-hour rule holds without a conversation; the sender number's
pacing applies; opt-out answered by `notification_due`), from the ticket's office's number. It
belongs to no conversation nor ticket, so no citizen's thread shows it; its notice row is
stamped when queued (the message row then carries the delivery status).
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
from pandawa.catalog.queries import active_catalog
from pandawa.catalog.schema import TemplateSpec
from pandawa.channels.outbox import queue_template
from pandawa.core.config import current_settings
from pandawa.core.jobs import enqueue_after_commit
from pandawa.hours.models import Office
from pandawa.reports.models import SlaAlert, SlaAlertNotice
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.queries import visibility_clause

log = logging.getLogger(__name__)

SEND_TASK = "dashboard.send_sla_alert_email"
WHATSAPP_TEMPLATE = "sla_alert"
SMTP_TIMEOUT_SECONDS = 10
KIND_WORDS = {
    "first_response": ("tanggapan pertama", "first response"),
    "resolution": ("penyelesaian", "resolution"),
}


def recipients(
    session: Session, ticket_ids: list[int], level: int, *, email: bool, whatsapp: bool
) -> dict[int, list[User]]:
    """By ticket id, the users to tell about an alert of `level` on it: active supervisors
    with an alert address (of the channels asked for) who see the ticket, admins too at 100 %."""
    roles = ("supervisor", "admin") if level >= 100 else ("supervisor",)
    reachable = [
        column.is_not(None)
        for column, wanted in ((User.alert_email, email), (User.alert_whatsapp, whatsapp))
        if wanted
    ]
    if not reachable:
        return {}
    users = session.scalars(
        sa.select(User).where(User.is_active.is_(True), User.role.in_(roles), sa.or_(*reachable))
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
    """Notices for the new alerts: e-mail rows and their send tasks (with an SMTP URL), and
    WhatsApp templates in the outbox (with the `sla_alert` template). Returns how many."""
    email = bool(current_settings().sla_alert_email_smtp_url)
    template = _whatsapp_template()
    if not alert_ids or not (email or template):
        return 0
    alerts = session.scalars(sa.select(SlaAlert).where(SlaAlert.id.in_(alert_ids))).all()
    count = 0
    for level in sorted({a.level for a in alerts}):
        of_level = [a for a in alerts if a.level == level]
        tickets = sorted({a.ticket_id for a in of_level})
        people = recipients(session, tickets, level, email=email, whatsapp=template is not None)
        for alert in of_level:
            for user in people.get(alert.ticket_id, []):
                if email and user.alert_email:
                    notice = _notice(session, alert, user, "email", at)
                    enqueue_after_commit(session, SEND_TASK, notice.id)
                    count += 1
                if template is not None and user.alert_whatsapp:
                    notice = _notice(session, alert, user, "whatsapp", at)
                    if _queue_whatsapp(session, template, alert, user.alert_whatsapp):
                        notice.sent_at = at  # queued in the outbox, which sends it
                    count += 1
    session.flush()
    return count


def _notice(
    session: Session, alert: SlaAlert, user: User, channel: str, at: datetime
) -> SlaAlertNotice:
    notice = SlaAlertNotice(alert_id=alert.id, user_id=user.id, channel=channel, created_at=at)
    session.add(notice)
    session.flush()
    return notice


def _whatsapp_template() -> TemplateSpec | None:
    try:
        return active_catalog().template(WHATSAPP_TEMPLATE)
    except LookupError:  # no catalogue loaded
        return None


def _queue_whatsapp(session: Session, spec: TemplateSpec, alert: SlaAlert, number: str) -> bool:
    """The approved template to `number` from the ticket's office's sender; False when the
    outbox silenced it (the number opted out)."""
    office, ticket_number, queue_code = session.execute(
        sa.select(Office, Ticket.number, Queue.code)
        .join(Ticket, Ticket.office_id == Office.id)
        .join(Queue, Queue.id == Ticket.queue_id)
        .where(Ticket.id == alert.ticket_id)
    ).one()
    values = {
        "ticket": ticket_number,
        "queue": queue_code,
        "level": str(alert.level),
        "waited": str(alert.waited_seconds // 60),
        "target": str(alert.target_seconds // 60),
    }
    row = queue_template(
        session,
        # a staff number wrote through no provider: the configured one (WHATSAPP_PROVIDER)
        provider=current_settings().whatsapp_provider,
        sender=office.whatsapp_address,
        recipient=f"whatsapp:{number}",
        content_sid=spec.content_sid,
        variables=spec.content_variables(**values),
        body_preview=spec.preview.get("id").format(**values) if spec.preview else "",
    )
    return row is not None


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
