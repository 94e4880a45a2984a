"""The bot's side of a service's checklist (the state machine is checklist.py): the `checklist`
state, entered after the service is chosen and again after `collect`, and the handoff that
keeps the answers on the ticket.

`state_data` while a service is under way: `item` (the menu path), `phase` (checks or
documents), `answers` (checklist index → answer), `step` and `details` (collect's); all JSON in
the conversation row, so a worker restarted between two messages continues where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pandawa.catalog.schema import Catalog, MenuItem
from pandawa.channels.models import Message
from pandawa.conversations import checklist
from pandawa.tickets.checklist.operations import record_checklist

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from pandawa.citizens.models import Conversation


class ChecklistSteps:
    """Mixed into the Bot: uses its catalogue, language, state and handoff."""

    session: Session
    conversation: Conversation
    catalog: Catalog
    language: str

    if TYPE_CHECKING:

        def _set_state(self, state: str, data: dict) -> None: ...
        def _show_menu(self, turn: Any, path: list[str]) -> None: ...
        def _hand_off(self, turn: Any, queue_code: str | None, details: dict) -> None: ...
        def _ask_or_hand_off(self, turn: Any) -> None: ...

    def _start_service(self, turn: Any, item: MenuItem, path: list[str]) -> None:
        """A handoff option was chosen: its checklist (if any), then collect, then documents."""
        data: dict[str, Any] = {"item": path, "step": 0, "details": {}}
        if not item.checklist:
            self._set_state("collect", data)
            self._ask_or_hand_off(turn)
            return
        turn.replies.append(checklist.overview(self.catalog, item, self.language))
        self._set_state("collect", {**data, "answers": {}, "phase": checklist.CHECKS})
        self._checklist_next(turn, item, checklist.CHECKS)

    def _checklist_next(self, turn: Any, item: MenuItem, phase: str) -> None:
        """Ask the phase's next item; with none left, go on (checks → collect → documents)."""
        data = dict(self.conversation.state_data)
        answers = data.get("answers") or {}
        step = checklist.next_question(self.catalog, item, self.language, phase, answers)
        if step.outcome == checklist.ASK:
            self._set_state("checklist", {**data, "phase": phase})
            turn.replies.extend(step.replies)
        elif phase == checklist.CHECKS:
            self._set_state("collect", {**data, "phase": checklist.DOCUMENTS})
            self._ask_or_hand_off(turn)
        else:
            self._hand_off_service(turn, item)

    def _checklist(self, turn: Any, message: Message) -> None:
        """A message in the `checklist` state: the answer to the pending check or document."""
        data = dict(self.conversation.state_data)
        item = self.catalog.find_menu_item(tuple(data.get("item") or ()))
        phase = data.get("phase", checklist.CHECKS)
        if item is None or not item.checklist:  # the catalogue changed under the conversation
            self._show_menu(turn, [])
            return
        sent = checklist.sent_of(message.id, message.body, message.media)
        step = checklist.answer(
            self.catalog, item, self.language, phase, data.get("answers") or {}, sent
        )
        turn.replies.extend(step.replies)
        self._set_state("checklist", {**data, "answers": step.answers})
        if step.outcome == checklist.STOP:
            self._show_menu(turn, [])
        elif step.outcome == checklist.PHASE_DONE:
            self._checklist_next(turn, item, phase)

    def _checklist_again(self, turn: Any) -> bool:
        """In the middle of a checklist (english/indonesia typed): its question again."""
        if self.conversation.state != "checklist":
            return False
        data = self.conversation.state_data
        item = self.catalog.find_menu_item(tuple(data.get("item") or ()))
        phase = data.get("phase", checklist.CHECKS)
        if item is None or not item.checklist:
            return False
        answers = data.get("answers") or {}
        step = checklist.next_question(self.catalog, item, self.language, phase, answers)
        turn.replies.extend(step.replies)
        return step.outcome == checklist.ASK

    def _documents_pending(self, turn: Any, item: MenuItem) -> bool:
        """After collect: the documents still to ask for (True: asked, wait for the answer)."""
        answers = self.conversation.state_data.get("answers") or {}
        if checklist.pending(item, answers, checklist.DOCUMENTS) is None:
            return False
        self._checklist_next(turn, item, checklist.DOCUMENTS)
        return True

    def _hand_off_service(self, turn: Any, item: MenuItem) -> None:
        data = dict(self.conversation.state_data)
        details = {"service": item.label_for("id"), **(data.get("details") or {})}
        self._hand_off(turn, item.queue, details)
        if item.checklist and turn.ticket_id is not None:
            answers = data.get("answers") or {}
            record_checklist(self.session, turn.ticket_id, item.checklist, answers)
