"""Back-test of the citizen's wait estimate (pandawa.tickets.estimates.estimate) on the dashboard
fixture's arrivals: for each ticket, what the citizen would have been told at its arrival vs its
actual wait to the first response.

The arrivals are the dashboard seed's (bench/dashboard_seed.py `_plan`: tickets per office-hour
of the year before the bench clock, weighted to office hours, holidays and growth, the same
counts the seeded database holds), for one office and one queue (its share of the seed's
queues), placed at random instants within each hour. The seed's waits are drawn independently
of the queue (log-normal), so they cannot answer "what would the queue have done": the days are
replayed through a first-come-first-served queue instead — 12 agents of capacity 5 (the seed's
capacity), all online during hours (the seed gives a queue 7-8 agents, whose 40 places cannot
serve its volume: the backlog then grows all week; `--agents 8` shows it), the seed's handle
times (log-normal, median 1500 s, sigma 1.2), 90 s from claim to first answer — counted in
office hours on the office's real calendar (holidays, the weekend). At each arrival inside
hours the product's pure `estimate` gets the state then: position, the agents' capacity and
load, the mean handle and median answer times of the last 50 resolved tickets (as
tickets/estimates.py reads them), the calendar and the instant. Tickets arriving while the
office is closed are told the opening time, not an estimate: they queue but are not scored.

Printed: per day and overall, tickets scored, told "today" / "later" (the next opening) / no
number, the median and 90th percentile of |estimate − actual| in office minutes, and the share
told "today" that were not served that day; the same for the old estimate (ceil(position /
agents) × median handle time, always "about N minutes") for comparison.

    .venv/bin/python bench/eta_backtest.py                 # the 5 working days before the clock
    .venv/bin/python bench/eta_backtest.py --days 1 --total 20000   # tiny (the test runs this)
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import statistics
import sys
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from dashboard_seed import OFFICE_SHARE, QUEUES, _plan

from pandawa.hours.calendar import OfficeCalendar, build_calendar
from pandawa.hours.queries import holiday_map
from pandawa.tickets.estimates import HISTORY, LATER, NO_AGENTS, TODAY, QueueTimes, Staff, estimate

CLOCK = "2026-11-30T07:30:00+07:00"  # the dashboard bench's "now" (bench/dashboard.py)
WEEKDAYS = {d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
MAKASSAR = {**{d: [["08:00", "15:00"]] for d in ("mon", "tue", "wed", "thu")},
            "fri": [["08:00", "11:30"], ["13:00", "15:00"]]}  # fmt: skip
# the bench catalogue's offices (pandawa/catalog/examples/multi-office.yaml)
OFFICES = {
    "JKT-PUSAT": (1, "Asia/Jakarta", WEEKDAYS),
    "MAKASSAR": (2, "Asia/Makassar", MAKASSAR),
    "JAYAPURA": (3, "Asia/Jayapura", WEEKDAYS),
}
ANSWER_SECONDS = 90  # the seed's claim → first answer


def office_calendar(code: str, around: datetime) -> OfficeCalendar:
    _, zone, weekly = OFFICES[code]
    years = range(around.year - 1, around.year + 2)
    return build_calendar(weekly, zone, holiday_map("ID", ("public", "government"), years))


def fixture_hours(total: int, clock: datetime) -> dict[str, list[tuple[datetime, int]]]:
    """The seed's tickets per office-hour (all queues): {office code: [(hour, count)]}."""
    offices = [(oid, code, zone, weekly) for code, (oid, zone, weekly) in OFFICES.items()]
    _intervals, slots, _per_office = _plan(offices, clock, total)
    codes = {oid: code for code, (oid, _, _) in OFFICES.items()}
    result: dict[str, list[tuple[datetime, int]]] = {code: [] for code in OFFICES}
    for office_id, hour, count in slots:
        result[codes[office_id]].append((hour, count))
    return result


def working_days(calendar: OfficeCalendar, before: datetime, days: int) -> list:
    """The last `days` local dates before `before` on which the office opened."""
    found, day = [], calendar.local_date(before) - timedelta(days=1)
    while len(found) < days:
        start, end = calendar.day_bounds(day)
        if calendar.open_intervals(start, end):
            found.append(day)
        day -= timedelta(days=1)
    return sorted(found)


@dataclass
class Scored:
    day: object
    kind: str
    estimate_s: int | None
    actual_s: int
    served_today: bool
    old_s: int


class BusinessClock:
    """Office seconds since `origin`, and back, over the open intervals of a period."""

    def __init__(self, calendar: OfficeCalendar, origin: datetime, end: datetime) -> None:
        self.calendar, self.origin = calendar, origin
        self.intervals = calendar.open_intervals(origin, end)
        self.starts, acc = [], 0.0
        for a, b in self.intervals:
            self.starts.append(acc)
            acc += (b - a).total_seconds()
        self.total = acc

    def seconds(self, at: datetime) -> float:
        total = 0.0
        for a, b in self.intervals:
            if at <= a:
                break
            total += (min(at, b) - a).total_seconds()
        return total

    def instant(self, seconds: float) -> datetime:
        i = max(0, bisect.bisect_right(self.starts, seconds) - 1)
        a, b = self.intervals[i]
        return min(b, a + timedelta(seconds=seconds - self.starts[i]))


def replay(
    arrivals: list[datetime],
    calendar: OfficeCalendar,
    agents: int,
    capacity: int,
    rng: random.Random,
    horizon: datetime,
) -> list[Scored]:
    """First-come-first-served through agents × capacity places; the estimate at each arrival."""
    clock = BusinessClock(calendar, arrivals[0] - timedelta(days=1), horizon)
    free = [(0.0, a) for a in range(agents) for _ in range(capacity)]  # (free at, agent)
    heapq.heapify(free)
    starts: list[float] = []  # each ticket's claim, in arrival order
    active: list[tuple[float, float, int]] = []  # (claim, end, agent) of unresolved tickets
    pending: list[tuple[float, int, int]] = []  # (end, handle, answer) not yet resolved
    resolved: deque[tuple[int, int]] = deque(maxlen=HISTORY)
    scored = []
    for at in arrivals:
        b = clock.seconds(at)
        handle = int(min(259200, max(60, 1500 * math.exp(1.2 * rng.gauss(0, 1)))))
        free_at, agent = heapq.heappop(free)
        claim = max(b, free_at)
        end = claim + ANSWER_SECONDS + handle
        heapq.heappush(free, (end, agent))
        # the state the citizen's estimate sees at `b`
        while pending and pending[0][0] <= b:
            _, h, a = heapq.heappop(pending)
            resolved.append((h, a))
        active = [x for x in active if x[1] > b]
        loads = [0] * agents
        for c, _e, who in active:
            if c <= b:
                loads[who] += 1
        position = 1 + sum(1 for s in starts[-5000:] if s > b)
        starts.append(claim)
        active.append((claim, end, agent))
        heapq.heappush(pending, (end, handle, ANSWER_SECONDS))
        if not calendar.is_open(at):
            continue  # deferred: told the opening time, not scored
        times = QueueTimes(
            statistics.fmean(h for h, _ in resolved) if resolved else 600,
            statistics.median(a for _, a in resolved) if resolved else 0,
        )
        staff = [Staff(capacity, loads[a]) for a in range(agents)]
        guess = estimate(position, times, staff, calendar, at)
        first = clock.instant(claim + ANSWER_SECONDS)
        old = math.ceil(position / agents) * int(times.handle_seconds)
        scored.append(
            Scored(
                day=calendar.local_date(at),
                kind=guess.kind,
                # what the citizen heard: the minutes, or the time shown for a later opening
                estimate_s=(
                    calendar.business_seconds(at, guess.shown_at)
                    if guess.kind == LATER and guess.shown_at is not None
                    else guess.wait_seconds
                ),
                actual_s=int(claim + ANSWER_SECONDS - b),
                served_today=calendar.local_date(first) == calendar.local_date(at),
                old_s=old,
            )
        )
    return scored


def p90(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * 0.9
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(rows: list[Scored]) -> dict[str, object]:
    errors = [abs(r.estimate_s - r.actual_s) / 60 for r in rows if r.estimate_s is not None]
    old = [abs(r.old_s - r.actual_s) / 60 for r in rows]
    today = [r for r in rows if r.kind == TODAY]
    return {
        "scored": len(rows),
        "today": len(today),
        "later": sum(1 for r in rows if r.kind == LATER),
        "none": sum(1 for r in rows if r.kind == NO_AGENTS),
        "mae": statistics.median(errors) if errors else float("nan"),
        "p90": p90(errors),
        "broken": sum(1 for r in today if not r.served_today) / len(today) if today else 0.0,
        "old_mae": statistics.median(old) if old else float("nan"),
        "old_p90": p90(old),
        "old_broken": sum(1 for r in rows if not r.served_today) / len(rows) if rows else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clock", default=CLOCK, help=f"the bench's 'now' ({CLOCK})")
    p.add_argument("--total", type=int, default=1_000_000, help="the seed's tickets a year")
    p.add_argument("--office", default="JKT-PUSAT", choices=sorted(OFFICES))
    p.add_argument("--queue", default="KEPESERTAAN", choices=sorted(QUEUES))
    p.add_argument("--days", type=int, default=5, help="working days replayed, before the clock")
    p.add_argument("--agents", type=int, default=12, help="agents of the queue, online in hours")
    p.add_argument("--capacity", type=int, default=5, help="tickets at once per agent")
    p.add_argument("--seed", type=int, default=17)
    args = p.parse_args(argv)

    clock = datetime.fromisoformat(args.clock)
    calendar = office_calendar(args.office, clock)
    days = working_days(calendar, clock, args.days)
    share = QUEUES[args.queue][0]
    rng = random.Random(args.seed)
    first = calendar.day_bounds(days[0])[0] - timedelta(hours=12)  # the night before counts
    last = calendar.day_bounds(days[-1])[1]
    arrivals = []
    for hour, count in fixture_hours(args.total, clock)[args.office]:
        if first <= hour < last:
            for _ in range(count):
                if rng.random() < share:
                    arrivals.append(hour + timedelta(seconds=rng.uniform(0, 3600)))
    arrivals.sort()
    if not arrivals:
        print("no arrivals in the chosen days", file=sys.stderr)
        return 1
    rows = replay(arrivals, calendar, args.agents, args.capacity, rng, last + timedelta(days=30))
    rows = [r for r in rows if r.day in days]  # the evening before only fills the queue
    print(
        f"ETA back-test: office {args.office} ({OFFICE_SHARE[args.office]:.0%} of the seed's "
        f"{args.total:,} tickets a year), queue {args.queue} ({share:.0%}), {args.agents} agents "
        f"× capacity {args.capacity}, {len(arrivals)} arrivals ({len(rows)} inside hours scored)"
    )
    print("errors: |estimate − actual wait to first response|, office minutes")
    header = (
        f"{'day':<11} {'scored':>6} {'today':>6} {'later':>6} {'none':>5} {'med.err':>8} "
        f"{'p90':>7} {'today broken':>12} | {'old med':>8} {'old p90':>8} {'old broken':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, subset in [
        *((str(day), [r for r in rows if r.day == day]) for day in days),
        ("all", rows),
    ]:
        if not subset:
            continue
        s = summary(subset)
        print(
            f"{label:<11} {s['scored']:>6} {s['today']:>6} {s['later']:>6} {s['none']:>5} "
            f"{s['mae']:>8.1f} {s['p90']:>7.1f} {s['broken']:>12.1%} | "
            f"{s['old_mae']:>8.1f} {s['old_p90']:>8.1f} {s['old_broken']:>10.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
