"""Telling the citizen about their ticket, within WhatsApp's 24-hour rule.

Free-form messages are allowed only within 24 hours of the citizen's last message. Past that,
the only thing we may send is the catalogue's approved utility template asking them to answer —
once per ticket per reopening of the window (never a stream of reminders); the conversation
continues when they answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.catalog.schema import Catalog, TemplateSpec
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_notification, queue_template
from pandawa.channels.window import window_is_open
from pandawa.citizens.models import Conversation
from pandawa.hours.models import Office
from pandawa.tickets.models import OPEN_STATUSES, Ticket

log = logging.getLogger(__name__)
REOPEN_TEMPLATE = "window_reopen"
RESOLVED_TEMPLATE = "ticket_resolved_notice"  # the closing notice past the window (optional)
# an agent's reply past the window when the citizen cannot be asked to answer (no approved
# template in the catalogue): refused, so nothing waits unseen for a message that may never come
NO_TEMPLATE_MESSAGE = (
    "Balasan tidak dikirim: jendela 24 jam WhatsApp sudah tertutup dan katalog layanan belum "
    f"memiliki templat yang disetujui ({REOPEN_TEMPLATE}) untuk meminta warga membalas. Mohon "
    "hubungi admin untuk menambahkan templat tersebut; balasan dapat dikirim kembali setelah "
    "warga menulis lagi. / Not sent: the 24-hour WhatsApp window is closed and the catalogue has "
    f"no approved template ({REOPEN_TEMPLATE}) to ask the citizen to answer. Please ask an admin "
    "to add it; you can reply again once the citizen writes."
)


def provider_name(conversation: Conversation) -> str:
    """The provider the citizen wrote through (one office may have a Twilio and a Meta
    number): every message to them goes back the same way."""
    return conversation.contact.provider


def notify_citizen(
    session: Session,
    ticket: Ticket,
    text_key: str,
    at: datetime,
    /,
    catalog: Catalog | None = None,
    **fields: object,
) -> Message | None:
    """A notification in the citizen's language; the reopen template when the window is shut.
    `catalog`: the active one when the caller has it already (a batch of tickets)."""
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    if not window_is_open(conversation.last_inbound_at, at):
        return ask_to_reopen(session, ticket, conversation, at, catalog)
    contact = conversation.contact
    body = (catalog or active_catalog()).text(text_key, contact.language or "id", **fields)
    return queue_notification(
        session,
        provider=provider_name(conversation),
        sender=conversation.channel_address,
        recipient=contact.address,
        body=body,
        conversation_id=conversation.id,
        ticket_id=ticket.id,
    )


def _asked_since_they_wrote(ticket: Ticket, conversation: Conversation) -> bool:
    sent = ticket.reopen_template_sent_at
    return sent is not None and (
        conversation.last_inbound_at is None or sent >= conversation.last_inbound_at
    )


def _reopen_spec(catalog: Catalog | None) -> TemplateSpec | None:
    """The catalogue's reopening template; None without one, or without any catalogue."""
    try:
        return (catalog or active_catalog()).template(REOPEN_TEMPLATE)
    except LookupError:  # no catalogue loaded (CatalogMissing)
        return None


def cannot_ask_to_reopen(
    ticket: Ticket, conversation: Conversation, catalog: Catalog | None = None
) -> bool:
    """Past the window: whether the citizen is neither asked already (since they last wrote)
    nor can be asked (the catalogue has no reopening template). A reply held then would wait
    for a message the citizen has no reason to send."""
    return not _asked_since_they_wrote(ticket, conversation) and _reopen_spec(catalog) is None


def ask_to_reopen(
    session: Session,
    ticket: Ticket,
    conversation: Conversation,
    at: datetime,
    catalog: Catalog | None = None,
) -> Message | None:
    """Send the approved template, unless this ticket already asked since the citizen last
    wrote. Returns the template's row, or None when it was already sent or the catalogue has
    none (logged: the citizen cannot be reached until they write)."""
    if _asked_since_they_wrote(ticket, conversation):
        return None
    spec = _reopen_spec(catalog)
    if spec is None:
        log.error(
            "catalogue has no %s template; ticket %s cannot reach the citizen",
            REOPEN_TEMPLATE,
            ticket.number,
        )
        return None
    values = _reopen_values(session, ticket, conversation)
    message = queue_ticket_template(
        session, spec, ticket, conversation, provider_name(conversation), values
    )
    if message is None:
        return None  # silenced: the citizen opted out or is blocked (tickets.consent)
    ticket.reopen_template_sent_at = at
    ticket.reopen_templates_sent = (ticket.reopen_templates_sent or 0) + 1
    return message


def _reopen_values(session: Session, ticket: Ticket, conversation: Conversation) -> dict[str, str]:
    contact = conversation.contact
    office = session.get(Office, ticket.office_id)
    # Twilio refuses an empty template variable
    return {
        "ticket": ticket.number,
        "name": contact.name or "Bapak/Ibu",
        "office": office.name if office else "BPJS Kesehatan",
    }


@dataclass(frozen=True)
class ReopenPreview:
    """What goes first when an agent answers past the window: the template's name and its
    text as the citizen will read it (their language, variables filled); `sent_at` when it
    already went since the citizen last wrote (then nothing more goes until they answer)."""

    name: str
    text: str
    sent_at: datetime | None


def reopen_preview(
    session: Session, ticket: Ticket, conversation: Conversation, catalog: Catalog | None = None
) -> ReopenPreview | None:
    """The reopening template `ask_to_reopen` would send for this ticket, filled in exactly as
    it would be; None when the catalogue has none (a reply is then refused)."""
    spec = _reopen_spec(catalog)
    if spec is None:
        return None
    values = _reopen_values(session, ticket, conversation)
    language = conversation.contact.language or "id"
    text = spec.preview.get(language).format(**values) if spec.preview else ""
    sent = ticket.reopen_template_sent_at if _asked_since_they_wrote(ticket, conversation) else None
    return ReopenPreview(name=REOPEN_TEMPLATE, text=text, sent_at=sent)


def closing_template(
    session: Session, ticket: Ticket, conversation: Conversation, catalog: Catalog | None = None
) -> Message | None:
    """Past the window, the closing notice of a resolved ticket as the catalogue's approved
    `ticket_resolved_notice` template. None when the catalogue has none (or there is no catalogue):
    then nothing at all may go, and the ticket closes silently (logged)."""
    try:
        spec = (catalog or active_catalog()).template(RESOLVED_TEMPLATE)
    except LookupError:  # no catalogue loaded (CatalogMissing)
        spec = None
    if spec is None:
        log.info(
            "ticket %s resolved past the 24-hour window and the catalogue has no %s template; "
            "no closing message",
            ticket.number,
            RESOLVED_TEMPLATE,
        )
        return None
    values = {"ticket": ticket.number}
    return queue_ticket_template(
        session, spec, ticket, conversation, provider_name(conversation), values
    )


def queue_ticket_template(
    session: Session,
    spec: TemplateSpec,
    ticket: Ticket,
    conversation: Conversation,
    provider: str,
    values: dict[str, str],
) -> Message | None:
    """Queue the approved template `spec` about `ticket` to its citizen, the conversation
    showing its text in the citizen's language; None when the citizen opted out or is
    blocked (the outbox asks `tickets.consent`)."""
    contact = conversation.contact
    language = contact.language or "id"
    preview = spec.preview.get(language).format(**values) if spec.preview else ""
    return queue_template(
        session,
        provider=provider,
        sender=conversation.channel_address,
        recipient=contact.address,
        content_sid=spec.content_sid,
        variables=spec.content_variables(**values),
        conversation_id=conversation.id,
        ticket_id=ticket.id,
        body_preview=preview,
    )


def note_reopen_answered(
    session: Session, conversation_id: int, previous_inbound_at: datetime | None, at: datetime
) -> bool:
    """Count the citizen's answer to a reopening template: the first message after a template
    that was sent since they last wrote. Returns whether one was counted."""
    if window_is_open(previous_inbound_at, at):
        # the window stayed open since their last message, so no template went out meanwhile
        # (one is only sent to a shut window): nothing to look up for most messages
        return False
    ticket = session.scalars(
        select(Ticket)
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.reopen_template_sent_at.is_not(None),
        )
        .order_by(Ticket.status.in_(OPEN_STATUSES).desc(), Ticket.created_at.desc(), Ticket.id)
        .limit(1)
    ).first()
    if ticket is None:
        return False
    sent = ticket.reopen_template_sent_at
    if previous_inbound_at is not None and sent < previous_inbound_at:
        return False  # that template was answered already
    if at < sent:
        return False
    ticket.reopen_templates_answered = (ticket.reopen_templates_answered or 0) + 1
    return True
