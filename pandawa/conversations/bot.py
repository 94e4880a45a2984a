"""The citizen's side of a conversation: a state machine driven by the catalogue.

States (stored on the conversation, so any worker on any machine continues any conversation):
  idle            nothing under way; any message gets the greeting and the menu
  region          a number serving several offices asks the citizen's regency first
  menu            the citizen is choosing; `state_data["path"]` is the sub-menu they are in
  collect         the details a service needs before the handoff are asked one by one
  checklist       the service's yes/no checks (before collect) and documents (after it), one
                  by one (checklist.py, checklist_steps.py)
  confirm_cancel  `batal` on an open ticket waits for ya/yes
  satisfaction    after resolution, a 1–5 rating is expected
Keywords (menu, petugas/agent, status, batal/cancel, english/indonesia) work in every state, so
there is always a way back to the menu or on to a person. While a ticket is open, everything
the citizen sends lands on it and the bot stays quiet, except for `status` and `batal`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.catalog.queries import active_catalog
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.citizens.models import Conversation
from pandawa.conversations import faq, regions, surge_faq
from pandawa.conversations.checklist_steps import ChecklistSteps
from pandawa.conversations.courtesy import is_courtesy
from pandawa.conversations.details import attach_collected, read_detail
from pandawa.conversations.flood import check_flood
from pandawa.conversations.office_time import greeting, office_hours_line
from pandawa.conversations.satisfaction import handle_answer
from pandawa.conversations.understand import Understanding, understand
from pandawa.conversations.validators import nik_problem
from pandawa.core.clock import now
from pandawa.hours.models import Office
from pandawa.tickets.cancel import cancel_by_citizen
from pandawa.tickets.intake import hand_off, position_replies
from pandawa.tickets.models import OPEN_STATUSES, Queue, Ticket
from pandawa.tickets.returns import recently_resolved, reopen_recent

log = logging.getLogger(__name__)

# state_data keys that outlive a change of state (the office a citizen chose)
KEEP = ("office_chosen", "slow_down_at")
# states in which a command inside a sentence counts ("tolong batalkan tiket saya"); elsewhere
# the bot expects an answer (a detail, a rating, ya/tidak) and only a whole keyword is one
SENTENCE_STATES = ("idle", "menu")


@dataclass
class Turn:
    """What one inbound message produced: replies to send and the ticket it belongs to."""

    replies: list[str] = field(default_factory=list)
    ticket_id: int | None = None


class Bot(ChecklistSteps):
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
    def handle(self, message: Message, text: str | None = None) -> Turn:
        """Answer `message`; `text` is what to read instead of its body (a burst of messages
        read together, see tasks.py), the message itself then being the burst's last."""
        turn = Turn()
        self.body = (message.body or "") if text is None else text
        ticket = self._open_ticket()
        turn.ticket_id = ticket.id if ticket else None
        flood = check_flood(self.session, self.conversation, message, now())
        if flood != "ok":
            if flood == "warn":
                turn.replies.append(self.text("slow_down"))
            self._send(turn)
            return turn
        self.understood = understand(
            self.catalog,
            self.body,
            self.language,
            answer=ticket is None and self.conversation.state in SENTENCE_STATES,
        )
        intent = self._intent(self.understood)
        if self.conversation.state == "satisfaction" and ticket is None and intent is None:
            answer = handle_answer(
                self.session, self.conversation, message, self.catalog, self.language
            )
            if answer is not None:
                turn.replies.extend(answer)
                self._send(turn)
                return turn
        if ticket is None and self._after_resolution(intent) and is_courtesy(self.body):
            self._send(turn)  # "terima kasih" after a resolution: nothing to add, no new menu
            return turn
        if ticket is None and self._after_resolution(intent):
            reopened = reopen_recent(self.session, self.conversation.id, now())
            if reopened is not None:  # back to an online agent, with this message on it
                turn.ticket_id = reopened.id
                turn.replies.append(self.text("ticket_reopened", ticket=reopened.number))
                self._set_state("idle", {})
                self._send(turn)
                return turn
        if ticket is not None and ticket.status == "deferred" and self._bot_answers(intent):
            self._while_deferred(turn, ticket, message, intent)
        elif ticket is not None:
            self._on_ticket(turn, ticket, intent)
        else:
            self._without_ticket(turn, message, intent)
        self._send(turn)
        return turn

    # -- an open ticket: messages go to the agent ------------------------------------------
    def _on_ticket(self, turn: Turn, ticket: Ticket, intent: str | None) -> None:
        if self.conversation.state == "confirm_cancel":
            if intent in ("english", "indonesia"):
                # "english" typed at the question: the question again, in that language
                self.contact.language = "en" if intent == "english" else "id"
                turn.replies.append(self.text("language_changed"))
                turn.replies.append(self.text("cancel_confirm", ticket=ticket.number))
                return
            if intent == "yes" and cancel_by_citizen(self.session, ticket):
                turn.replies.append(self.text("ticket_cancelled", ticket=ticket.number))
                turn.replies.append(self.text("menu_footer"))
                self._set_state("idle", {})
                return
            turn.replies.append(self.text("cancel_aborted", ticket=ticket.number))
            self._set_state("idle", {})
            return
        if intent == "status":
            turn.replies.extend(self._status(ticket))
        elif intent == "cancel":
            turn.replies.append(self.text("cancel_confirm", ticket=ticket.number))
            self._set_state("confirm_cancel", {"ticket_id": ticket.id})
        elif intent in ("agent", "menu") or self.conversation.state not in ("idle", "menu"):
            turn.replies.append(self.text("ticket_already_open", ticket=ticket.number))
            self._set_state("idle", {})

    def _after_resolution(self, intent: str | None) -> bool:
        """The citizen writes on (not a keyword) while a ticket was resolved lately."""
        if intent is not None or self.conversation.state not in ("idle", "satisfaction"):
            return False
        return recently_resolved(self.session, self.conversation.id, now()) is not None

    # -- a deferred ticket: the bot keeps answering until the office opens ---------------------
    def _bot_answers(self, intent: str | None) -> bool:
        return self.conversation.state != "confirm_cancel" and intent not in (
            "status",
            "cancel",
            "agent",
        )

    def _while_deferred(
        self, turn: Turn, ticket: Ticket, message: Message, intent: str | None
    ) -> None:
        """Menus and FAQ answers go on; anything the bot cannot answer stays for the agent
        (the message is on the ticket already), and no second ticket is opened."""
        body = self.body
        if intent in ("english", "indonesia"):
            self._without_ticket(turn, message, intent)
        elif intent == "menu":
            self._show_menu(turn, [])
        elif self.conversation.state == "menu" and body.strip().rstrip(".").isdigit():
            path = list(self.conversation.state_data.get("path", []))
            item = self.catalog.find_menu_item((*path, body.strip().rstrip(".")))
            if item is not None and item.queue:
                turn.replies.append(self.text("ticket_already_open", ticket=ticket.number))
            else:
                self._choose(turn, body)
        else:
            matches = faq.best_answers(self.catalog, body, self.language) if body.strip() else []
            if matches:
                turn.replies.append(matches[0].entry.answer.get(self.language))

    def _status(self, ticket: Ticket) -> list[str]:
        status = self.text(f"status_{ticket.status}")
        status = surge_faq.status_word(self.session, self.catalog, ticket, self.language) or status
        replies = [
            self.text(
                "ticket_status",
                ticket=ticket.number,
                queue=ticket.queue.name(self.language),
                status=status,
            )
        ]
        if ticket.status == "waiting":
            replies.extend(position_replies(self.session, self.catalog, ticket, self.language))
        replies.append(office_hours_line(self.session, self.catalog, ticket, self.language))
        return replies

    # -- no open ticket: the bot answers ---------------------------------------------------
    def _without_ticket(self, turn: Turn, message: Message, intent: str | None) -> None:
        state = self.conversation.state
        if intent in ("english", "indonesia"):
            self.contact.language = "en" if intent == "english" else "id"
            turn.replies.append(self.text("language_changed"))
            if not self._checklist_again(turn):  # a checklist goes on in the new language
                self._after_greeting(turn)
        elif intent == "agent":
            turn.replies.append(self.text("agent_requested"))
            self._hand_off(turn, self.catalog.default_queue, {"service": "Bicara dengan petugas"})
        elif intent in ("status", "cancel"):
            turn.replies.append(self.text("no_open_ticket"))
            self._set_state("menu", {"path": []})
        elif intent != "menu" and state == "idle" and self.understood.intent == "faq":
            self._greet_and_answer(turn)
        elif (
            intent == "menu"
            or state in ("idle", "confirm_cancel", "satisfaction")
            or (state == "menu" and self.understood.intent == "greeting")
        ):
            turn.replies.append(self._greeting())
            self._after_greeting(turn)
        elif state == "region":
            self._region(turn, self.body)
        elif state == "collect":
            self._collect(turn, message)
        elif state == "checklist":
            self._checklist(turn, message)
        else:
            self._choose(turn, self.body)

    def _greeting(self) -> str:
        return greeting(self.session, self.catalog, self.conversation, self.language)

    def _greet_and_answer(self, turn: Turn) -> None:
        """A first message that asks something: greeted and answered in the same turn; the
        menu is only named as the way on (or the region asked, where a number needs it)."""
        turn.replies.append(self._greeting())
        self._reply_with_answers(turn, list(self.understood.answers))
        address = self.conversation.channel_address
        if regions.needs_region(self.catalog, address) and not self._kept("office_chosen"):
            turn.replies.append(self.text("ask_region"))
            turn.replies.append(regions.render_regions(self.catalog, address))
            self._set_state("region", {})
            return
        turn.replies.append(self.text("first_answer_footer"))
        self._set_state("menu", {"path": []})

    def _intent(self, understood: Understanding) -> str | None:
        """The keyword intent the bot acts on: a command inside a sentence only where the bot
        does not wait for a particular answer."""
        if understood.from_sentence and self.conversation.state not in SENTENCE_STATES:
            return None
        return understood.command

    def _after_greeting(self, turn: Turn) -> None:
        address = self.conversation.channel_address
        if regions.needs_region(self.catalog, address) and not self._kept("office_chosen"):
            turn.replies.append(self.text("ask_region"))
            turn.replies.append(regions.render_regions(self.catalog, address))
            self._set_state("region", {})
            return
        self._show_menu(turn, path=[])

    def _region(self, turn: Turn, answer: str) -> None:
        address = self.conversation.channel_address
        spec = regions.match_region(self.catalog, address, answer)
        office = spec and self.session.scalar(sa.select(Office).where(Office.code == spec.code))
        if office is None:
            turn.replies.append(self.text("region_unknown"))
            turn.replies.append(regions.render_regions(self.catalog, address))
            return
        self.conversation.office_id = office.id
        self.conversation.state_data = {**self.conversation.state_data, "office_chosen": True}
        turn.replies.append(self.text("region_saved", office=office.name))
        self._show_menu(turn, path=[])

    def _show_menu(self, turn: Turn, path: list[str]) -> None:
        turn.replies.append(self.catalog.render_menu(self.language, tuple(path)))
        self._set_state("menu", {"path": path})

    def _choose(self, turn: Turn, body: str) -> None:
        path = list(self.conversation.state_data.get("path", []))
        choice = body.strip().rstrip(".")
        item = self.catalog.find_menu_item((*path, choice)) if choice.isdigit() else None
        if item is None:
            self._answer_question(turn, body, path)
            return
        if item.submenu:
            self._show_menu(turn, [*path, item.key])
        elif item.queue:
            if item.conditions:
                turn.replies.append(item.conditions.get(self.language))
            self._start_service(turn, item, [*path, item.key])
        else:
            turn.replies.append(item.answer.get(self.language))
            turn.replies.append(self.text("answer_footer"))

    def _answer_question(self, turn: Turn, body: str, path: list[str]) -> None:
        """A free question instead of a number: the best FAQ answers, else a way onwards."""
        matches = faq.best_answers(self.catalog, body, self.language) if body.strip() else []
        if not matches:
            turn.replies.append(
                self.text("unknown_choice" if body.strip().isdigit() else "faq_no_match")
            )
            self._show_menu(turn, path)
            return
        self._reply_with_answers(turn, matches)
        turn.replies.append(self.text("answer_footer"))

    def _reply_with_answers(self, turn: Turn, matches: list[faq.FaqMatch]) -> None:
        """The best answer, then the other questions that may fit."""
        turn.replies.append(matches[0].entry.answer.get(self.language))
        others = [m.entry.question.get(self.language) for m in matches[1:]]
        if others:
            turn.replies.append(
                self.text("faq_related") + "\n" + "\n".join(f"• {q}" for q in others)
            )

    def _collect(self, turn: Turn, message: Message) -> None:
        data = dict(self.conversation.state_data)
        item = self.catalog.find_menu_item(tuple(data["item"]))
        if item is None:  # the catalogue changed under the conversation
            self._show_menu(turn, [])
            return
        step = item.collect[data["step"]]
        value = read_detail(step.type, message)
        wrong_nik = value is None and step.type == "nik" and not step.invalid
        problem = nik_problem(message.body or "") if wrong_nik else None
        if problem is not None:
            # say what is wrong: letters, not 16 digits, no province, no date of birth
            turn.replies.append(self.text(f"nik_{problem[0]}", **problem[1]))
            turn.replies.append(step.prompt.get(self.language))
            return
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
        if self._documents_pending(turn, item):
            return
        self._hand_off_service(turn, item)

    def _hand_off(self, turn: Turn, queue_code: str | None, details: dict) -> None:
        queue = self.session.scalar(
            sa.select(Queue).where(Queue.code == queue_code, Queue.is_active)
        ) or self.session.scalar(sa.select(Queue).where(Queue.is_active).order_by(Queue.id))
        handoff = hand_off(
            self.session, self.catalog, self.conversation, self.contact, queue, details=details
        )
        turn.ticket_id = handoff.ticket.id
        turn.replies.extend(handoff.replies)
        if handoff.surge:  # the live queue is full: bot-first, the FAQ in the same message
            turn.replies.append(surge_faq.faq_block(self.catalog, details, self.language, turn))
        attach_collected(self.session, details, handoff.ticket.id)
        self._set_state("idle", {})

    # -- helpers ---------------------------------------------------------------------------
    def _open_ticket(self) -> Ticket | None:
        return self.session.scalars(
            sa.select(Ticket).where(
                Ticket.conversation_id == self.conversation.id,
                Ticket.status.in_(OPEN_STATUSES),
            )
        ).one_or_none()

    def _kept(self, key: str) -> Any:
        return self.conversation.state_data.get(key)

    def _set_state(self, state: str, data: dict) -> None:
        kept = {k: v for k, v in self.conversation.state_data.items() if k in KEEP}
        self.conversation.state = state
        self.conversation.state_data = {**kept, **data}

    def _send(self, turn: Turn) -> None:
        body = "\n\n".join(r for r in turn.replies if r)
        if not body:
            return
        queue_outbound(
            self.session,
            provider=self.contact.provider,  # answered through the provider they wrote to
            sender=self.conversation.channel_address,
            recipient=self.contact.address,
            body=body,
            conversation_id=self.conversation.id,
            ticket_id=turn.ticket_id,
        )
