"""Reads of canned responses: what a ticket's reply box offers, what a supervisor may edit,
and the values a ticket gives the variables.

Who edits what (there is no supervisor scope elsewhere yet: supervisors see every queue's
tickets): an admin edits every answer; a supervisor edits the answers of the queues they are a
member of, and the global ones (offered on every queue) only when they are a member of every
active queue. Agents edit none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.hours.models import Office
from pandawa.hours.summary import weekly_summary
from pandawa.tickets.canned.models import CannedResponse
from pandawa.tickets.canned.variables import fill
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.queries import is_office_scoped

EDITOR_ROLES = ("supervisor", "admin")
EXAMPLE_NAME = "Budi Santoso"
EXAMPLE_NUMBER = "PDW-261201-7KQ2MX"
EXAMPLE_OFFICE = "Kantor Cabang Jakarta Pusat"
EXAMPLE_HOURS = {d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@dataclass(frozen=True)
class Offered:
    """One answer as the reply box shows it: its title and its text with the values filled."""

    id: int
    title: str
    body: str
    language: str


def offered(session: Session, ticket: Ticket, name: str, language: str) -> list[Offered]:
    """The active answers of the ticket's queue and the global ones, filled with the ticket's
    values: the citizen's language first, then the queue's own before the global ones."""
    rows = session.scalars(
        sa.select(CannedResponse)
        .where(
            CannedResponse.retired_at.is_(None),
            sa.or_(CannedResponse.queue_id == ticket.queue_id, CannedResponse.queue_id.is_(None)),
        )
        .order_by(
            sa.case((CannedResponse.language == language, 0), else_=1),
            sa.case((CannedResponse.queue_id.is_(None), 1), else_=0),
            CannedResponse.title,
            CannedResponse.id,
        )
    ).all()
    values = {lang: ticket_values(ticket, name, lang) for lang in {r.language for r in rows}}
    return [
        Offered(
            row.id,
            row.title if row.language == language else f"{row.title} ({row.language.upper()})",
            fill(row.body, values[row.language]),
            row.language,
        )
        for row in rows
    ]


def ticket_values(ticket: Ticket, name: str, language: str) -> dict[str, str]:
    """{nama}, {nomor_tiket}, {kantor}, {jam_buka} of a ticket (office joined on the ticket)."""
    return office_values(ticket.office, language) | {"nama": name, "nomor_tiket": ticket.number}


def office_values(office: Office | None, language: str) -> dict[str, str]:
    if office is None:
        return {
            "kantor": EXAMPLE_OFFICE,
            "jam_buka": weekly_summary(EXAMPLE_HOURS, "Asia/Jakarta", language),
        }
    return {
        "kantor": office.name,
        "jam_buka": weekly_summary(office.weekly_hours, office.timezone, language),
    }


def example_values(session: Session, language: str) -> dict[str, str]:
    """Values for a preview without a ticket: an example citizen, the first office's name
    and hours (an example office when there is none)."""
    office = session.scalar(sa.select(Office).order_by(Office.id).limit(1))
    return office_values(office, language) | {"nama": EXAMPLE_NAME, "nomor_tiket": EXAMPLE_NUMBER}


# -- who edits what -------------------------------------------------------------------------
@dataclass(frozen=True)
class EditScope:
    queues: Sequence[Queue]  # the queues whose answers the user may edit (by code)
    may_edit_global: bool

    @property
    def queue_ids(self) -> set[int]:
        return {q.id for q in self.queues}

    def allows(self, queue_id: int | None) -> bool:
        return self.may_edit_global if queue_id is None else queue_id in self.queue_ids


def edit_scope(session: Session, user: User) -> EditScope:
    if user.role == "admin":
        queues = session.scalars(sa.select(Queue).order_by(Queue.code)).all()
        return EditScope(queues, True)
    if user.role != "supervisor":
        return EditScope((), False)
    if is_office_scoped(user):
        # a queue's answers reach its agents in every office: a supervisor bound to offices
        # (issue 17) changes nothing agency-wide, so she reads the answers and edits none
        return EditScope((), False)
    mine = sorted(user.queues, key=lambda q: q.code)
    active = set(session.scalars(sa.select(Queue.id).where(Queue.is_active.is_(True))))
    return EditScope(mine, bool(active) and active <= {q.id for q in mine})


def editor_list(
    session: Session, scope: EditScope, queue_id: int | None = None, *, only_global: bool = False
) -> list[CannedResponse]:
    """The answers the editor lists: those of the scope's queues and the global ones (shown
    to every editor; changeable only with `may_edit_global`); active first, by queue, title."""
    where: sa.ColumnElement[bool]
    if only_global:
        where = CannedResponse.queue_id.is_(None)
    elif queue_id is not None:
        where = CannedResponse.queue_id == queue_id
    else:
        where = sa.or_(
            CannedResponse.queue_id.is_(None), CannedResponse.queue_id.in_(scope.queue_ids)
        )
    return list(
        session.scalars(
            sa.select(CannedResponse)
            .outerjoin(Queue, Queue.id == CannedResponse.queue_id)
            .where(where)
            .order_by(
                CannedResponse.retired_at.is_not(None),
                Queue.code.nulls_first(),
                CannedResponse.language,
                CannedResponse.title,
                CannedResponse.id,
            )
        ).unique()
    )
