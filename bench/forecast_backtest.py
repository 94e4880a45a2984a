"""Back-test of the staffing forecast (pandawa.reports.forecast) on the dashboard fixture: each
of the last days before the bench clock is forecast from the weeks before it, as the beat task
would have at 04:00 office time, and compared with what arrived, hour by hour.

The arrivals are the dashboard seed's (bench/dashboard_seed.py `_plan`: tickets per office-hour
of the year before the clock, weighted to office hours, weekends, holidays and a slow growth;
the counts the seeded database holds), split over the seed's queues by their shares. Those
counts are smooth by construction, so the back-test runs twice: on the seed's counts as they
are ("seed"), and with each queue-hour drawn from a Poisson law of that mean ("poisson"), the
randomness real arrivals have. The forecast is the product's own code: `forecast_arrivals`
(same weekday, open days, `--weeks`), the backlog at opening (what arrived since the last
closing, up to 04:00, plus the night's forecast) and `plan_queue` (Erlang C per open hour, the
seed's mean handle time 1500·e^0.72 ≈ 3083 s, capacity 5, the bench catalogue's SLA targets,
80 % within target).

Printed per office and day: arrivals forecast and actual (the whole local day), the error of
the day's total, the mean absolute error per hour (all 24 hours, and the open hours), and the
agents recommended (the peak hour, and agent-hours over the day).

    .venv/bin/python bench/forecast_backtest.py                  # 10 days, 6 weeks of history
    .venv/bin/python bench/forecast_backtest.py --days 2 --total 20000   # tiny (the test)
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta

from dashboard_seed import QUEUES
from eta_backtest import CLOCK, OFFICES, fixture_hours, office_calendar

from pandawa.reports.forecast import (
    HOURS,
    SLA_GOAL,
    forecast_arrivals,
    mean_absolute_error,
    open_fractions,
    plan_queue,
)

HANDLE_SECONDS = int(1500 * math.exp(1.2**2 / 2))  # the seed's log-normal handle time, mean
CAPACITY = 5
SLA_MINUTES = {"KEPESERTAAN": 30, "PENGADUAN": 20, "INFORMASI_UMUM": 60}  # the catalogue's
DEFAULT_SLA_MINUTES = 30
FORECAST_HOUR = 4


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:  # normal approximation: Knuth's product loop is slow for large means
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def by_queue_day_hour(
    hours: list[tuple[datetime, int]], zone, noise: random.Random | None
) -> dict[str, dict[date, list[float]]]:
    """{queue: {local date: [arrivals per local hour]}} from the seed's office-hour counts."""
    result: dict[str, dict[date, list[float]]] = defaultdict(dict)
    for hour, count in hours:
        local = hour.astimezone(zone)
        for queue, (share, _median, _services) in QUEUES.items():
            mean = count * share
            value = float(poisson(noise, mean)) if noise is not None else mean
            result[queue].setdefault(local.date(), [0.0] * HOURS)[local.hour] += value
    return result


def run(variant: str, args: argparse.Namespace, clock: datetime) -> list[str]:
    lines = []
    noise = random.Random(args.seed) if variant == "poisson" else None
    hours_by_office = fixture_hours(args.total, clock)
    totals: dict[str, list[float]] = defaultdict(list)
    for code in OFFICES:
        calendar = office_calendar(code, clock)
        series = by_queue_day_hour(hours_by_office[code], calendar.zone, noise)
        today = calendar.local_date(clock)
        targets = [today - timedelta(days=n) for n in range(args.days, 0, -1)]

        def is_open_day(d: date, calendar=calendar) -> bool:
            return bool(calendar.open_intervals(*calendar.day_bounds(d)))

        for day in targets:
            fractions = open_fractions(calendar, day)
            forecast_total = [0.0] * HOURS
            actual_total = [0.0] * HOURS
            agents = [0] * HOURS
            for queue, days in series.items():
                history = {d: v for d, v in days.items() if d < day}
                forecast = forecast_arrivals(history, day, args.weeks, is_open_day)
                actual = days.get(day, [0.0] * HOURS)
                # the backlog at 04:00: what arrived since the previous day's last open hour
                previous = days.get(day - timedelta(days=1), [0.0] * HOURS)
                prev_fractions = open_fractions(calendar, day - timedelta(days=1))
                last_open = max((h for h in range(HOURS) if prev_fractions[h] > 0), default=-1)
                backlog = sum(previous[last_open + 1 :]) + sum(actual[:FORECAST_HOUR])
                plan = plan_queue(
                    0,
                    forecast,
                    fractions,
                    backlog=round(backlog),
                    from_hour=FORECAST_HOUR,
                    handle_seconds=HANDLE_SECONDS,
                    sla_seconds=60 * SLA_MINUTES.get(queue, DEFAULT_SLA_MINUTES),
                    capacity=CAPACITY,
                    goal=SLA_GOAL,
                )
                for h in range(HOURS):
                    forecast_total[h] += forecast[h]
                    actual_total[h] += actual[h]
                    agents[h] += plan.agents[h] or 0
            f_sum, a_sum = sum(forecast_total), sum(actual_total)
            open_hours = [h for h in range(HOURS) if fractions[h] > 0]
            mae = mean_absolute_error(forecast_total, actual_total)
            mae_open = mean_absolute_error(
                [forecast_total[h] for h in open_hours], [actual_total[h] for h in open_hours]
            )
            error = (f_sum - a_sum) / a_sum if a_sum else 0.0
            totals["mae"].append(mae)
            totals["abs_error"].append(abs(error))
            if open_hours:
                totals["mae_open"].append(mae_open)
            lines.append(
                f"{variant:<8} {code:<10} {day} {day.strftime('%a'):<3} {f_sum:>8.0f} "
                f"{a_sum:>7.0f} {error:>+8.1%} {mae:>7.1f} "
                f"{(f'{mae_open:.1f}' if open_hours else '-'):>8} "
                f"{max(agents):>5} {sum(agents):>6}"
            )
    n = len(totals["mae"])
    lines.append(
        f"{variant:<8} {'all':<10} {n} office-days: mean |day total error| "
        f"{sum(totals['abs_error']) / n:.1%}, mean hourly MAE {sum(totals['mae']) / n:.1f} "
        f"(open hours {sum(totals['mae_open']) / max(1, len(totals['mae_open'])):.1f})"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clock", default=CLOCK, help=f"the bench's 'now' ({CLOCK})")
    p.add_argument("--total", type=int, default=1_000_000, help="the seed's tickets a year")
    p.add_argument("--days", type=int, default=10, help="days forecast, before the clock")
    p.add_argument("--weeks", type=int, default=6, help="weeks of history (FORECAST_WEEKS)")
    p.add_argument("--seed", type=int, default=17)
    args = p.parse_args(argv)
    clock = datetime.fromisoformat(args.clock)
    print(
        f"Forecast back-test: the seed's {args.total:,} tickets a year over "
        f"{', '.join(OFFICES)}; each day forecast from the {args.weeks} weeks before it; "
        f"agents for {SLA_GOAL:.0%} within the SLA target (Erlang C), handle "
        f"{HANDLE_SECONDS} s, capacity {CAPACITY}"
    )
    header = (
        f"{'variant':<8} {'office':<10} {'day':<10} {'':<3} {'forecast':>8} {'actual':>7} "
        f"{'day err':>8} {'MAE/h':>7} {'MAE open':>8} {'peak':>5} {'ag-h':>6}"
    )
    print(header)
    print("-" * len(header))
    for variant in ("seed", "poisson"):
        for line in run(variant, args, clock):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
