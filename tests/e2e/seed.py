"""Rows the multi-process e2e tests start from, written straight to the stack's database: many
citizens with a ticket each (a queue's backlog, or what waits for the opening), and agents."""

from __future__ import annotations

import os
import signal
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue, Ticket, TicketEvent
from tests.factories import add_conversation
from tests.stack import Stack


@dataclass(frozen=True)
class Seeded:
    number: str
    citizen: str


def seed_tickets(stack: Stack, count: int, *, status: str, queue_codes: list[str]) -> list[Seeded]:
    """`count` citizens who wrote just now (their 24-hour window is open), each with one ticket
    in `status` ("waiting" or "deferred"), spread over `queue_codes` in turn, oldest first: the
    creation times rise one second a ticket and the ids are handed out in reverse, so an order
    by id is not the order by time."""
    at = stack.clock.now()
    seeded: list[Seeded] = []
    run = uuid.uuid4().hex[:6].upper()
    with stack.app.app_context():
        try:
            office = db.session.scalars(sa.select(Office).order_by(Office.id)).first()
            assert office is not None, "the stack's default catalogue has no office"
            queues = {
                q.code: q
                for q in db.session.scalars(sa.select(Queue).where(Queue.code.in_(queue_codes)))
            }
            assert set(queues) == set(queue_codes), queues
            for i in reversed(range(count)):
                citizen = f"whatsapp:+62813{uuid.uuid4().int % 10**9:09d}"
                created = at - timedelta(seconds=count - i)
                conversation = add_conversation(
                    db.session, office, citizen, name="Warga Uji", created_at=created
                )
                number = f"E2E-{run}-{i:05d}"
                db.session.add(
                    Ticket(
                        number=number,
                        office_id=office.id,
                        queue_id=queues[queue_codes[i % len(queue_codes)]].id,
                        conversation_id=conversation.id,
                        contact_id=conversation.contact_id,
                        status=status,
                        details={},
                        created_at=created,
                        released_at=None if status == "deferred" else created,
                        updated_at=created,
                    )
                )
                seeded.append(Seeded(number, citizen))
            db.session.commit()
        finally:
            db.session.remove()
    return list(reversed(seeded))


def event_counts(stack: Stack, kind: str) -> dict[str, int]:
    """How many `kind` events ("claimed", "released", …) each ticket has, by ticket number
    (tickets with none left out)."""
    return dict(
        stack.rows(
            sa.select(Ticket.number, sa.func.count())
            .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
            .where(TicketEvent.kind == kind)
            .group_by(Ticket.number)
        )
    )


def queue_codes(stack: Stack, how_many: int) -> list[str]:
    """Codes of `how_many` active queues of the default catalogue."""
    with stack.app.app_context():
        try:
            codes = list(
                db.session.scalars(
                    sa.select(Queue.code).where(Queue.is_active).order_by(Queue.id).limit(how_many)
                )
            )
        finally:
            db.session.remove()
    assert len(codes) == how_many, codes
    return codes


def add_agent(
    stack: Stack, queue_codes: list[str], *, password: str | None = None
) -> tuple[str, str]:
    """A new agent of `queue_codes`; returns (email, API token)."""
    from pandawa.accounts.operations import create_token
    from pandawa.admin.operations import create_user

    email = f"petugas-{uuid.uuid4().hex[:8]}@example.go.id"
    with stack.app.app_context():
        try:
            user = create_user(db.session, email, "agent", queue_codes, password=password)
            token = create_token(db.session, user)
            db.session.commit()
        finally:
            db.session.remove()
    return email, token


# -- the stack's processes, found through /proc (the stack keeps no handle on them) ----------


def processes_of(stack: Stack, *words: str) -> list[int]:
    """Pids of this user's processes running against the stack's database whose command line
    holds every one of `words`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        wanted = f"DATABASE_URL={stack.environ['DATABASE_URL']}".encode()
        if wanted in environ and all(w in cmdline for w in words):
            found.append(int(entry.name))
    return sorted(found)


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def connected_to(pid: int, port: int) -> bool:
    """Whether process `pid` holds an established TCP connection to 127.0.0.1:`port`."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except FileNotFoundError:
        return False
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        if state == "01" and int(remote.split(":")[1], 16) == port and inode in inodes:
            return True
    return False


def kill_9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
