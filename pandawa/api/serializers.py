"""JSON shapes of the API (see PRODUCT.md, "Shapes every client may rely on").

NIK, KK and phone numbers are masked in every answer, for every role: the contact's address
(`whatsapp:+62812****7890`), the details and message bodies. The full value of one field is
`POST /tickets/<number>/reveal` (audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pandawa.api.media import download_url
from pandawa.channels.contract import contract_status
from pandawa.channels.models import Message
from pandawa.channels.window import window_closes_at, window_is_open
from pandawa.citizens.masking import mask_address, mask_details, mask_text
from pandawa.citizens.models import Contact
from pandawa.reports.board import QueueCounts, QueueRow
from pandawa.reports.figures import Figures
from pandawa.tickets.checklist.queries import ChecklistRow
from pandawa.tickets.models import Ticket


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with an explicit offset, always UTC (`+00:00`)."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def ticket_json(ticket: Ticket, contact: Contact) -> dict[str, Any]:
    """A ticket, its contact's number and NIK or card numbers in its details masked."""
    return {
        "number": ticket.number,
        "status": ticket.status,
        "queue": ticket.queue.code,
        "office": ticket.office.code,
        "contact": {
            "id": contact.id,
            "name": contact.name,
            "address": mask_address(contact.address),
        },
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "created_at": iso(ticket.created_at),
        "released_at": iso(ticket.released_at),
        "assigned_at": iso(ticket.assigned_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "cancelled_at": iso(ticket.cancelled_at),
        "satisfaction": ticket.satisfaction,
        "details": mask_details(ticket.details or {}),
    }


def ticket_detail_json(
    ticket: Ticket, contact: Contact, messages: list[tuple[Message, str | None]]
) -> dict[str, Any]:
    data = ticket_json(ticket, contact)
    data["messages"] = [
        {
            **message_json(message, author),
            "media": media_json(ticket.number, message),
            "contacts": (message.extra or {}).get("contacts"),
        }
        for message, author in messages
    ]
    return data


# what an agent's client needs of a media item (never the provider's URL)
MEDIA_KEYS = ("content_type", "status", "reason", "size", "sha256", "contacts")


def media_json(ticket_number: str, message: Message) -> list[dict[str, Any]]:
    return [
        {
            **{k: item[k] for k in MEDIA_KEYS if k in item},
            "download_url": download_url(ticket_number, message.id, i)
            if item.get("status") == "stored"
            else None,
        }
        for i, item in enumerate(message.media or [])
        if isinstance(item, dict)
    ]


def window_json(last_inbound_at: datetime | None, at: datetime) -> dict[str, Any]:
    """WhatsApp's 24-hour window: free-form replies only while it is open."""

    return {
        "is_open": window_is_open(last_inbound_at, at),
        "closes_at": iso(window_closes_at(last_inbound_at)),
    }


def message_json(message: Message, author: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message.id,
        "direction": message.direction,
        "body": mask_text(message.body or ""),
        "message_type": message.message_type,
        "media": message.media or [],
        "created_at": iso(message.created_at),
        "author": author,
        "is_internal_note": message.is_internal_note,
    }
    if message.direction == "out":
        data["status"] = contract_status(message.status)  # never `sending`, `held`, …
        data["error_code"] = message.error_code
    return data


def queue_json(load: QueueCounts) -> dict[str, Any]:
    queue = load.queue
    return {
        "code": queue.code,
        "name": queue.name_id,
        "name_en": queue.name_en,
        "sla_seconds": queue.sla_seconds,
        "is_auto_assign": queue.is_auto_assign,
        "waiting": load.waiting,
        "deferred": load.deferred,
        "assigned": load.assigned,
    }


# the dashboard's figures over tickets CREATED in the range (pandawa.reports.figures)
FIGURE_KEYS = (
    "created",
    "resolved",
    "cancelled",
    "transferred",
    "responded",
    "wait_business_p50",
    "wait_business_p90",
    "wait_business_avg",
    "wait_calendar_p50",
    "wait_calendar_p90",
    "wait_calendar_avg",
    "handle_p50",
    "handle_p90",
    "handle_avg",
    "resolution_p50",
    "resolution_p90",
    "resolution_avg",
    "sla_met",
    "sla_counted",
    "sla_attainment",
    "satisfaction_avg",
    "satisfaction_count",
    "reopened",
)
# /stats/queues once had `responded`, `sla_attainment`, `wait_p50_seconds` and
# `wait_p90_seconds` of its own (tickets first ANSWERED in the range, calendar seconds from
# release), which disagreed with the dashboard for the same words. They now carry the
# dashboard's figures (pandawa.reports.definitions); `answered` and `sla_attainment_business`,
# the names those figures had here meanwhile, stay as equal aliases for existing clients.
ALIASES = {"answered": "responded", "sla_attainment_business": "sla_attainment"}


def figures_json(figures: Figures | None) -> dict[str, Any]:
    if figures is None:
        figures = Figures(key="", label="")
    return {name: getattr(figures, name) for name in FIGURE_KEYS}


def agent_stats_json(figures: Figures) -> dict[str, Any]:
    return {"agent": figures.key, "name": figures.label, **figures_json(figures)}


def queue_stats_json(row: QueueRow, figures: Figures | None = None) -> dict[str, Any]:
    """The board's live figures of the queue (now) and the figures page's of the range."""
    data = figures_json(figures)
    return {
        **data,
        **{alias: data[name] for alias, name in ALIASES.items()},
        "queue": row.code,
        "waiting": row.waiting,
        "deferred": row.deferred,
        "assigned": row.assigned,
        "oldest_wait_seconds": row.oldest_wait_seconds,
        "oldest_wait_business_seconds": row.oldest_wait_business_seconds,
        "agents_online": row.agents_online,
        "wait_p50_seconds": data["wait_business_p50"],
        "wait_p90_seconds": data["wait_business_p90"],
        "sla_seconds": row.sla_seconds,
    }


def checklist_json(ticket_number: str, rows: list[ChecklistRow]) -> list[dict[str, Any]]:
    """A ticket's checklist (issue 17, item 10): each check's answer, each document's file."""
    items = []
    for row in rows:
        item = row.item
        document = None
        if item.state == "received" and item.message_id is not None:
            media = row.media or {}
            document = {
                "message_id": item.message_id,
                "index": item.media_index or 0,
                "content_type": media.get("content_type"),
                "status": media.get("status"),
                "download_url": download_url(ticket_number, item.message_id, item.media_index or 0)
                if media.get("status") == "stored"
                else None,
            }
        items.append(
            {
                "position": item.position,
                "kind": item.kind,
                "text": mask_text(item.text_id),
                "text_en": mask_text(item.text_en),
                "required": item.is_required,
                "state": item.state,
                "answer": item.answer,
                "document": document,
            }
        )
    return items
