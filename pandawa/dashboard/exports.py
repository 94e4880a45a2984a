"""CSV exports of the figures and of the tickets behind them.

Citizens write their own names, so every text cell is neutralised: a spreadsheet reads a cell
starting with = + - @ (or a tab/CR) as a formula (CSV injection); a leading apostrophe makes
it text. Personal data (the citizen's name and WhatsApp number) is masked unless the role may
see it (admins); supervisors get the figures without the people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from datetime import datetime
from zoneinfo import ZoneInfo

from pandawa.accounts.models import User
from pandawa.citizens.masking import mask_digits, mask_text
from pandawa.dashboard.drilldown import TicketRow
from pandawa.reports.figures import Figures

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def neutralise(cell: str) -> str:
    """'=HYPERLINK(…)' → "'=HYPERLINK(…)"; other text unchanged."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def may_reveal_personal(user: User) -> bool:
    """Only admins export citizens' names and numbers in clear."""
    return user.role == "admin"


def mask_name(name: str) -> str:
    """'Siti Rahayu' → 'S*** R*****': initials stay (enough to tell rows apart on a call)."""
    words = mask_text(name).split(" ")
    return " ".join(w[:1] + "*" * (len(w) - 1) if w else w for w in words)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)  # numbers are ours: a negative one must stay a number
    return neutralise(str(value))


def _line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return buffer.getvalue()


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
        name, address = row.contact_name or "", row.contact_address or ""
        if not reveal_personal:
            name, address = mask_name(name), mask_digits(address)
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
