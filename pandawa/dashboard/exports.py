"""CSV exports of the figures and of the tickets behind them.

Citizens write their own names, so every text cell is neutralised (pandawa.core.csvcells: a
spreadsheet would run a cell starting with = + - @ as a formula). The citizen's WhatsApp number
is masked for every role, and NIK, KK or phone numbers typed into a name too; names are masked
unless the role may see them (admins); supervisors get the figures without the people.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from datetime import datetime
from zoneinfo import ZoneInfo

from pandawa.accounts.models import User
from pandawa.citizens.masking import mask_address, mask_text
from pandawa.core.csvcells import csv_line as _line
from pandawa.core.csvcells import neutralise
from pandawa.dashboard.drilldown import TicketRow
from pandawa.reports.figures import Figures

__all__ = ["figures_csv", "mask_name", "may_reveal_personal", "neutralise", "tickets_csv"]

FIGURE_COLUMNS = [f.name for f in fields(Figures)]
TICKET_COLUMNS = [
    "number",
    "office",
    "queue",
    "agent",
    "service",
    "status",
    "created_at",
    "released_at",
    "first_response_at",
    "resolved_at",
    "wait_seconds",
    "wait_business_seconds",
    "handle_seconds",
    "sla_met",
    "satisfaction",
    "contact_name",
    "contact_address",
]


def may_reveal_personal(user: User) -> bool:
    """Only admins export citizens' names in clear (their numbers: nobody)."""
    return user.role == "admin"


def mask_name(name: str) -> str:
    """'Siti Rahayu' → 'S*** R*****': initials stay (enough to tell rows apart on a call)."""
    words = mask_text(name).split(" ")
    return " ".join(w[:1] + "*" * (len(w) - 1) if w else w for w in words)


def figures_csv(rows: list[Figures]) -> str:
    """The figures table, one row per queue/agent/all, seconds as numbers."""
    return _line(FIGURE_COLUMNS) + "".join(
        _line(asdict(row)[name] for name in FIGURE_COLUMNS) for row in rows
    )


def tickets_csv(
    rows: Iterable[TicketRow], *, reveal_personal: bool, timezone: str | None = None
) -> Iterator[str]:
    """Header, then one line per ticket; times ISO 8601 with the offset of `timezone`
    (default UTC). Streams: feed it iter_ticket_rows for a range of any size."""
    zone = ZoneInfo(timezone) if timezone else None

    def when(at: datetime | None) -> str | None:
        if at is None:
            return None
        return (at.astimezone(zone) if zone else at).isoformat()

    yield _line(TICKET_COLUMNS)
    for row in rows:
        name = mask_text(row.contact_name or "")
        address = mask_address(row.contact_address or "")
        if not reveal_personal:
            name = mask_name(name)
        yield _line(
            [
                row.number,
                row.office_code,
                row.queue_code,
                row.agent_email,
                row.service,
                row.status,
                when(row.created_at),
                when(row.released_at),
                when(row.first_response_at),
                when(row.resolved_at),
                row.wait_seconds,
                row.wait_business_seconds,
                row.handle_seconds,
                row.sla_met,
                row.satisfaction,
                name,
                address,
            ]
        )
