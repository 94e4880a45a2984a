"""What the release bench sets up: the weekend's deferred tickets (bulk INSERTs), the rehearsal
clock file, and Celery workers started as the Procfile starts them (own process groups)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from celery import Celery
from stack import BenchError, children, vm_hwm_kib

log = logging.getLogger("bench")

WIB = ZoneInfo("Asia/Jakarta")
OFFICE = "JKT-PUSAT"
# the weekend before Monday 30 November 2026
WEEKEND_FROM = datetime(2026, 11, 27, 15, 0, tzinfo=WIB)  # Friday, closing time
WEEKEND_TO = datetime(2026, 11, 29, 20, 0, tzinfo=WIB)  # Sunday evening
LAST_INBOUND_OPEN = datetime(2026, 11, 29, 20, 0, tzinfo=WIB)  # 12 h before opening: text
LAST_INBOUND_SHUT = datetime(2026, 11, 27, 14, 0, tzinfo=WIB)  # 66 h before: template
BEFORE_OPENING = datetime(2026, 11, 30, 7, 59, tzinfo=WIB)
OPENING = datetime(2026, 11, 30, 8, 0, tzinfo=WIB)
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # pandawa.tickets.numbers
CHUNK = 2000


# -- the rehearsal clock ---------------------------------------------------------------------


class ClockFile:
    """PANDAWA_CLOCK=file:PATH for every worker. Written atomically (a new file renamed over
    the old), so a worker never reads it half-written."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def setting(self) -> str:
        return f"file:{self.path}"

    def set(self, at: datetime) -> None:
        partial = self.path.with_suffix(".partial")
        partial.write_text(at.isoformat(timespec="microseconds"), encoding="ascii")
        os.replace(partial, self.path)


# -- the weekend's tickets -------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """What was seeded, in ticket age order (index 0 is the oldest ticket)."""

    addresses: list[str]  # the citizens' addresses, oldest ticket first
    numbers: list[str]  # ticket numbers, same order
    sender: str  # the office's WhatsApp number
    seconds: float

    def expects_template(self, index: int) -> bool:
        return index % 2 == 1  # odd: last wrote on Friday, the 24-hour window is shut


def address_of(index: int) -> str:
    return f"whatsapp:+62812{index:08d}"


def ticket_number(index: int, created_at: datetime) -> str:
    suffix, value = [], index
    for _ in range(6):
        value, digit = divmod(value, len(NUMBER_ALPHABET))
        suffix.append(NUMBER_ALPHABET[digit])
    return f"PDW-{created_at.astimezone(WIB):%y%m%d}-{''.join(reversed(suffix))}"


def seed_tickets(database_url: str, count: int, history: int = 0) -> Seeded:
    """`count` citizens, each with one conversation to JKT-PUSAT's number and one deferred
    ticket; tickets created at distinct, increasing instants over the weekend; even ones last
    wrote on Sunday evening (window open at 08:00), odd ones on Friday afternoon (shut).
    `history`: messages per conversation before its ticket (half in, half out, all handled),
    so the outbox's tables and statistics look like a system in use, not an empty one."""
    from pandawa.models import Office, Queue  # every model, so relationships resolve

    started = time.monotonic()
    engine = sa.create_engine(database_url)
    step = (WEEKEND_TO - WEEKEND_FROM) / count
    created = [WEEKEND_FROM + step * i for i in range(count)]
    addresses = [address_of(i) for i in range(count)]
    numbers = [ticket_number(i, created[i]) for i in range(count)]
    try:
        with engine.begin() as conn:
            office = conn.execute(
                sa.select(Office.id, Office.whatsapp_address).where(Office.code == OFFICE)
            ).one_or_none()
            if office is None:
                raise BenchError(f"office {OFFICE} is not in the loaded catalogue")
            queues = conn.scalars(
                sa.select(Queue.id).where(Queue.is_active.is_(True)).order_by(Queue.id)
            ).all()
            if not queues:
                raise BenchError("the loaded catalogue has no queues")
            for lo in range(0, count, CHUNK):
                rows = [
                    _Citizen(i, addresses[i], numbers[i], created[i], queues[i % len(queues)])
                    for i in range(lo, min(lo + CHUNK, count))
                ]
                _seed_chunk(conn, rows, office, history)
        with engine.connect() as conn:
            # statistics as autovacuum would keep them on a system in use
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return Seeded(addresses, numbers, office.whatsapp_address, time.monotonic() - started)


@dataclass(frozen=True)
class _Citizen:
    index: int
    address: str
    number: str
    created_at: datetime
    queue_id: int


def _seed_chunk(conn: sa.Connection, rows: list[_Citizen], office: sa.Row, history: int) -> None:
    from pandawa.models import Contact, Conversation, Message, Ticket, TicketEvent

    contact_ids = _insert(
        conn,
        Contact.__table__,
        [
            {
                "provider": "twilio",
                "address": c.address,
                "wa_id": c.address.removeprefix("whatsapp:+"),
                "name": f"Peserta {c.index:05d}",
                "language": "id",
                "created_at": c.created_at - timedelta(minutes=10),
            }
            for c in rows
        ],
    )
    conversation_ids = _insert(
        conn,
        Conversation.__table__,
        [
            {
                "contact_id": contact_ids[k],
                "channel_address": office.whatsapp_address,
                "office_id": office.id,
                "state": "idle",
                "state_data": {},
                "last_inbound_at": LAST_INBOUND_SHUT if c.index % 2 else LAST_INBOUND_OPEN,
                "created_at": c.created_at - timedelta(minutes=10),
                "updated_at": c.created_at,
            }
            for k, c in enumerate(rows)
        ],
    )
    ticket_ids = _insert(
        conn,
        Ticket.__table__,
        [
            {
                "number": c.number,
                "office_id": office.id,
                "queue_id": c.queue_id,
                "conversation_id": conversation_ids[k],
                "contact_id": contact_ids[k],
                "status": "deferred",
                "details": {},
                "created_at": c.created_at,
                "updated_at": c.created_at,
            }
            for k, c in enumerate(rows)
        ],
    )
    conn.execute(
        sa.insert(TicketEvent.__table__),
        [
            {
                "ticket_id": ticket_ids[k],
                "kind": "created",
                "data": {"status": "deferred", "queue_id": c.queue_id},
                "created_at": c.created_at,
            }
            for k, c in enumerate(rows)
        ],
    )
    if history:
        conn.execute(
            sa.insert(Message.__table__),
            [
                _history_row(c, conversation_ids[k], office.whatsapp_address, n, history)
                for k, c in enumerate(rows)
                for n in range(history)
            ],
        )


def _history_row(c: _Citizen, conversation_id: int, ours: str, n: int, total: int) -> dict:
    """The n-th message of a citizen's weekend chat with the bot: in, out, in, out, …"""
    at = c.created_at - timedelta(seconds=20 * (total - n))
    inbound = n % 2 == 0
    return {
        "direction": "in" if inbound else "out",
        "provider": "twilio",
        "provider_message_id": f"SM{'a' if inbound else 'b'}{c.index:015d}{n:016d}",
        "sender": c.address if inbound else ours,
        "recipient": ours if inbound else c.address,
        "body": "1" if inbound else "Terima kasih, pesan Bapak/Ibu sudah kami terima.",
        "message_type": "text",
        "media": [],
        "extra": {},
        "status": "processed" if inbound else "read",
        "attempts": 0 if inbound else 1,
        "conversation_id": conversation_id,
        "is_internal_note": False,
        "created_at": at,
        "updated_at": at,
        "processed_at": at if inbound else None,
        "sent_at": None if inbound else at,
    }


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    result = conn.execute(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


# -- Celery workers --------------------------------------------------------------------------


@dataclass
class Worker:
    """One `celery worker` process (a prefork master and its pool) in its own process group."""

    name: str
    concurrency: int
    proc: subprocess.Popen
    log_path: Path

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def peak_memory_kib(self) -> dict[int, int]:
        return {pid: hwm for pid in self.pids() if (hwm := vm_hwm_kib(pid)) is not None}

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            # warm shutdown first: held ETA tasks go back to the broker (flushed anyway)
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass


def start_workers(
    celery_bin: Path, concurrencies: list[int], env: dict[str, str], cwd: Path, tmp: Path
) -> list[Worker]:
    """`celery -A pandawa.worker worker --pool prefork --concurrency N` per entry, as the
    Procfile's `worker` line (plus a node name each, so two on one host do not clash)."""
    workers = []
    for k, concurrency in enumerate(concurrencies, start=1):
        name = f"bench{k}"
        log_path = tmp / f"worker-{name}.log"
        cmd = [
            str(celery_bin),
            "-A",
            "pandawa.worker",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "-n",
            f"{name}@%h",
        ]
        with log_path.open("w") as handle:
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        workers.append(Worker(name, concurrency, proc, log_path))
    return workers


def wait_ready(workers: list[Worker], broker_url: str, timeout: float = 60) -> None:
    """Every worker answers a broadcast ping, and every pool process has started."""
    app = Celery("bench-ping", broker=broker_url)
    wanted = {w.name for w in workers}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for w in workers:
                if w.proc.poll() is not None:
                    tail = "".join(w.log_text().splitlines(True)[-30:])
                    raise BenchError(f"worker {w.name} exited at start:\n{tail}")
            replies = app.control.ping(timeout=1.0) or []
            answered = {name.split("@")[0] for reply in replies for name in reply}
            pools_up = all(len(children(w.proc.pid)) >= w.concurrency for w in workers)
            if wanted <= answered and pools_up:
                return
            time.sleep(0.5)
    finally:
        app.close()
    raise BenchError(f"workers not ready after {timeout:.0f}s")
