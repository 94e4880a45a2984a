"""One definition of every figure the supervisors read, and where each surface shows it.

Two kinds of figures, each computed by ONE function that every surface calls:

- **Range figures** (`pandawa.reports.figures.figures`, kept ready by
  `pandawa.reports.snapshots.page_figures`): over the tickets CREATED in a range of local days
  and visible to the reader. The figures page, `figures.csv` and `/api/v1/stats/queues` and
  `/stats/agents` all read `page_figures` for the same range, so at any moment they show the
  same numbers, computed at the same time (the page says when).
- **Live figures** (`pandawa.reports.board.live_queues`): what waits now. The board,
  `/api/v1/queues`, `/api/v1/stats/queues` and `/metrics` all read it.

The rules a supervisor can rely on (the README's dashboard paragraph says the same):

- **A ticket counts in the queue it is in now** — the queue it ended in after any transfers,
  the one that served it, the one its row in `/dashboard/tickets` and `tickets.csv` names — for
  every figure (created, waits, SLA against that queue's target, handle, resolution,
  satisfaction). Summing `tickets.csv` by its `queue` column gives `figures.csv`. A transfer
  moves the ticket's whole row at once, on every surface: a kept range holding it is computed
  again on its next reading (`snapshots.note_moved`).
- **A ticket counts for the agent who holds it** (or resolved it); a transferred ticket loses
  its holder until someone claims it in the new queue.
- **Times come from the ticket's own stamps**, fixed once: the wait is `created_at` to the
  first reply, in business seconds (only while the office was open, by its calendar with
  holidays, cuti bersama and closures) and in calendar seconds; a ticket deferred over a
  weekend waited no business time until Monday's opening.
- **Reopened** tickets (the citizen wrote again soon after the resolution and an agent took
  it back) keep their first reply and wait; they count as reopened and, while open again,
  not as resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Definition:
    """A figure, its rule, and its name on each surface (None: not shown there)."""

    name: str
    rule: str
    # range figures: the `data-name` of its `<data>` on the figures page; live figures: its key
    # in the board's JSON (`/dashboard/board?format=json`)
    page: str | None
    csv: str | None  # the column of figures.csv
    api: str  # its key in the items of /api/v1/stats/queues (and /stats/agents)
    metric: str | None = None  # the /metrics family (per queue)
    # other keys of /stats/queues items carrying the same number (names clients already read)
    api_aliases: tuple[str, ...] = ()


_RANGE = "of tickets created in the range, in the queue they are in now"
_WAIT_B = "created to first reply, business seconds (office open time)"
_WAIT_C = "created to first reply, calendar seconds"


def _times(name: str, meaning: str, aliases: dict[str, str] | None = None) -> list[Definition]:
    """p50, p90 and mean of a time; the page shows the medians and 90th percentiles (and the
    waits' means), figures.csv and the API all three."""
    return [
        Definition(
            name=f"{name}_{stat}",
            rule=f"{meaning}: {label} of the tickets {_RANGE} that have it (percentile_cont)",
            page=f"{name}_{stat}" if stat != "avg" or name.startswith("wait") else None,
            csv=f"{name}_{stat}",
            api=f"{name}_{stat}",
            api_aliases=tuple(a for s, a in (aliases or {}).items() if s == stat),
        )
        for stat, label in (("p50", "median"), ("p90", "90th percentile"), ("avg", "mean"))
    ]


def _count(name: str, rule: str, page: bool = True, **more: Any) -> Definition:
    return Definition(name, rule, name if page else None, name, name, **more)


RANGE_FIGURES: tuple[Definition, ...] = (
    _count("created", f"tickets {_RANGE}"),
    _count("resolved", "of those, resolved now"),
    _count("cancelled", "of those, cancelled"),
    _count("transferred", "of those, moved between queues at least once"),
    _count("reopened", "of those, reopened after a resolution at least once"),
    _count("responded", "of those, with a first reply", page=False, api_aliases=("answered",)),
    *_times("wait_business", _WAIT_B, {"p50": "wait_p50_seconds", "p90": "wait_p90_seconds"}),
    *_times("wait_calendar", _WAIT_C),
    *_times("handle", "first reply to resolution, calendar seconds, resolved tickets"),
    *_times("resolution", "created to resolution, calendar seconds, resolved tickets"),
    _count("sla_met", "answered within the queue's target in business seconds (at it: met)"),
    _count("sla_counted", "answered, plus unanswered ones stamped past the target"),
    _count(
        "sla_attainment",
        "sla_met / sla_counted, 4 decimals; none when nothing counted",
        api_aliases=("sla_attainment_business",),
    ),
    _count("satisfaction_avg", "mean of the 1-5 ratings, 2 decimals"),
    _count("satisfaction_count", "ratings given"),
)


def _live(name: str, rule: str, metric: str | None = None) -> Definition:
    return Definition(name, rule, name, None, name, metric)


LIVE_FIGURES: tuple[Definition, ...] = (
    _live("waiting", "open tickets waiting in the queue now"),
    _live("deferred", "tickets deferred to the next opening"),
    _live("assigned", "tickets held by an agent now (the board's Ditangani/Held)"),
    _live(
        "oldest_wait_seconds",
        "calendar seconds since the first waiting ticket in claim order was created",
        "pandawa_queue_oldest_wait_seconds",
    ),
    _live(
        "oldest_wait_business_seconds",
        "the same wait in business seconds (the board's headline)",
        "pandawa_queue_oldest_wait_business_seconds",
    ),
    _live(
        "sla_seconds",
        "the queue's first-response target, business seconds",
        "pandawa_queue_sla_seconds",
    ),
    _live(
        "agents_online",
        "members online as automatic assignment sees them (chose online, seen lately)",
        "pandawa_queue_agents_online",
    ),
)
# the open-ticket counts are one /metrics family with a status label
TICKETS_METRIC = "pandawa_queue_tickets"
