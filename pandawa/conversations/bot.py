"""The citizen's side of a conversation: a small state machine driven by the catalogue.

States (stored on the conversation, so any worker continues any conversation):
  idle     nothing under way; any message gets the greeting and the menu
  menu     the citizen is choosing; `state_data["path"]` is the sub-menu they are in
  collect  the details a service needs before the handoff are being asked one by one
While the conversation has an open ticket, every message lands on that ticket instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.conversations import validators
from pandawa.conversations.models import Conversation
from pandawa.tickets.intake import hand_off
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket

log = logging.getLogger(__name__)

MENU_WORDS = {"menu", "menu utama", "mulai", "start", "kembali", "back"}
LANGUAGE_WORDS = {"english": "en", "inggris": "en", "indonesia": "id", "bahasa": "id"}

DETAIL_VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "nik": validators.valid_nik,
    "card_number": validators.valid_card_number,
    "date": validators.valid_date,
    "text": validators.valid_text,
    "phone": validators.normalise_phone,
}


@dataclass
class Turn:
    """What one inbound message produced: replies to send and the ticket it belongs to."""

    replies: list[str] = field(default_factory=list)
    ticket_id: int | None = None


class Bot:
    def __init__(self, session: Session, conversation: Conversation) -> None:
        self.session = session
        self.conversation = conversation
        self.contact = conversation.contact
        self.catalog = active_catalog()

    @property
    def language(self) -> str:
        return self.contact.language or "id"

    def text(self, key: str, **fields: Any) -> str:
        return self.catalog.text(key, self.language, **fields)

    # -- entry point -----------------------------------------------------------------------
    def handle(self, message: Message) -> Turn:
        turn = Turn()
        ticket = self._open_ticket()
        if ticket is not None:
            turn.ticket_id = ticket.id  # the agent sees it; the bot stays quiet
            return turn
        words = " ".join((message.body or "").lower().split())
        if words in LANGUAGE_WORDS:
            self.contact.language = LANGUAGE_WORDS[words]
            self._show_menu(turn, path=[])
        elif words in MENU_WORDS or self.conversation.state == "idle":
            turn.replies.append(self.text("greeting", name=self.contact.name or ""))
            self._show_menu(turn, path=[])
        elif self.conversation.state == "collect":
            self._collect(turn, message)
        else:
            self._choose(turn, words)
        self._send(turn)
        return turn

    # -- states ----------------------------------------------------------------------------
    def _show_menu(self, turn: Turn, path: list[str]) -> None:
        turn.replies.append(self.catalog.render_menu(self.language, tuple(path)))
        self._set_state("menu", {"path": path})

    def _choose(self, turn: Turn, choice: str) -> None:
        path = list(self.conversation.state_data.get("path", []))
        item = self.catalog.find_menu_item((*path, choice)) if choice else None
        if item is None:
            turn.replies.append(self.text("unknown_choice"))
            self._show_menu(turn, path)
            return
        if item.submenu:
            self._show_menu(turn, [*path, item.key])
        elif item.queue:
            self._set_state("collect", {"item": [*path, item.key], "step": 0, "details": {}})
            self._ask_or_hand_off(turn)
        else:
            turn.replies.append(item.answer.get(self.language))
            turn.replies.append(self.text("answer_footer"))

    def _collect(self, turn: Turn, message: Message) -> None:
        data = dict(self.conversation.state_data)
        item = self.catalog.find_menu_item(tuple(data["item"]))
        step = item.collect[data["step"]]
        value = self._validate(step.type, message)
        if value is None:
            turn.replies.append(
                step.invalid.get(self.language) if step.invalid else self.text("ask_detail_invalid")
            )
            turn.replies.append(step.prompt.get(self.language))
            return
        data["details"] = {**data["details"], step.field: value}
        data["step"] += 1
        self._set_state("collect", data)
        self._ask_or_hand_off(turn)

    def _ask_or_hand_off(self, turn: Turn) -> None:
        data = self.conversation.state_data
        item = self.catalog.find_menu_item(tuple(data["item"]))
        if data["step"] < len(item.collect):
            turn.replies.append(item.collect[data["step"]].prompt.get(self.language))
            return
        queue = self.session.scalars(sa.select(Queue).where(Queue.code == item.queue)).one()
        handoff = hand_off(
            self.session,
            self.catalog,
            self.conversation,
            self.contact,
            queue,
            details={"service": item.label_for("id"), **data["details"]},
        )
        turn.ticket_id = handoff.ticket.id
        turn.replies.extend(handoff.replies)
        self._set_state("idle", {})

    def _validate(self, kind: str, message: Message) -> Any:
        if kind == "photo":
            return [m.get("url") for m in message.media or []] or None
        check = DETAIL_VALIDATORS.get(kind, validators.valid_text)
        return check(message.body or "")

    # -- helpers ---------------------------------------------------------------------------
    def _open_ticket(self) -> Ticket | None:
        return self.session.scalars(
            sa.select(Ticket).where(
                Ticket.conversation_id == self.conversation.id, Ticket.status.in_(OPEN_STATUSES)
            )
        ).one_or_none()

    def _set_state(self, state: str, data: dict) -> None:
        self.conversation.state = state
        self.conversation.state_data = data

    def _send(self, turn: Turn) -> None:
        body = "\n\n".join(r for r in turn.replies if r)
        if not body:
            return
        queue_outbound(
            self.session,
            provider=_provider(),
            sender=self.conversation.channel_address,
            recipient=self.contact.address,
            body=body,
            conversation_id=self.conversation.id,
            ticket_id=turn.ticket_id,
        )


def _provider() -> str:
    return current_app.extensions["pandawa.settings"].whatsapp_provider
