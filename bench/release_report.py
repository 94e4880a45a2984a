"""What the release bench measures: the sends as the fake Twilio received them (count per
citizen, order against ticket age, pacing), the database afterwards, the workers' logs."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence

import stack
from release_setup import OPENING, Seeded


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def inversions(values: list[int]) -> int:
    """Pairs i < j with values[i] > values[j] (merge sort, O(n log n))."""
    count, width, data = 0, 1, list(values)
    n = len(data)
    while width < n:
        merged: list[int] = []
        for lo in range(0, n, 2 * width):
            left, right = data[lo : lo + width], data[lo + width : lo + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if left[i] <= right[j]:
                    merged.append(left[i])
                    i += 1
                else:
                    merged.append(right[j])
                    count += len(left) - i
                    j += 1
            merged.extend(left[i:])
            merged.extend(right[j:])
        data, width = merged, width * 2
    return count


def max_in_window(arrivals: Sequence[float], window: float) -> int:
    """The most arrivals in any half-open interval [t, t + window) (to a microsecond: sends
    exactly one interval apart must not count as too close from rounding alone)."""
    best, j = 0, 0
    for i, start in enumerate(arrivals):
        j = max(j, i)
        while j < len(arrivals) and arrivals[j] - start < window - 1e-6:
            j += 1
        best = max(best, j - i)
    return best


def sends(messages: list, seeded: Seeded, t0: float, rate: float) -> dict:
    """Everything measured at the fake: `messages` are its SentMessage records; `rate` is
    the provider's limit (messages per second) they are checked against."""
    index = {address: i for i, address in enumerate(seeded.addresses)}
    per_recipient = Counter(m.to for m in messages)
    expected = len(seeded.addresses)
    got = [m for m in messages if m.to in index]
    wrong_sender = sum(1 for m in messages if m.from_ != seeded.sender)
    wrong_content = sum(1 for m in got if not _content_ok(m, index[m.to], seeded))
    arrivals = sorted(m.arrived for m in messages)
    result: dict = {
        "messages": len(messages),
        "recipients": len(per_recipient),
        "missing": sum(1 for a in seeded.addresses if a not in per_recipient),
        "duplicated": sum(n - 1 for n in per_recipient.values() if n > 1),
        "stray": sum(n for a, n in per_recipient.items() if a not in index),
        "wrong_sender": wrong_sender,
        "wrong_content": wrong_content,
        "templates": sum(1 for m in got if m.content_sid),
        "texts": sum(1 for m in got if not m.content_sid),
    }
    result["exactly_once"] = (
        result["missing"] == 0 and result["duplicated"] == 0 and result["stray"] == 0
    )
    if not arrivals:
        return result
    limit_s = expected / rate
    total = arrivals[-1] - t0
    result["timing"] = {
        "first_after_s": round(arrivals[0] - t0, 3),
        "last_after_s": round(total, 3),
        "limit_s": round(limit_s, 3),
        "target_s": round(limit_s * 1.1, 3),
        "vs_limit": round(total / limit_s, 4),
        "within_10pct": total <= limit_s * 1.1 and result["missing"] == 0,
        "steady_rate": round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 2)
        if len(arrivals) > 1 and arrivals[-1] > arrivals[0]
        else None,
    }
    result["pacing"] = pacing(arrivals, rate)
    result["order"] = order(got, index)
    result["timeline_per_10s"] = timeline(arrivals, t0, 10.0)
    return result


def arrival_list(messages: list, seeded: Seeded, t0: float) -> list[list]:
    index = {address: i for i, address in enumerate(seeded.addresses)}
    ordered = sorted(messages, key=lambda m: m.arrived)
    return [[round((m.arrived - t0) * 1000, 3), index.get(m.to, -1)] for m in ordered]


def pacing(arrivals: list[float], rate: float) -> dict:
    interval_ms = 1000.0 / rate
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(arrivals))
    window_max = max_in_window(arrivals, 1.0)
    return {
        "interval_ms": round(interval_ms, 3),
        "gap_ms": {
            f"p{p}": round(v, 3)
            for p in (0.1, 1, 5, 25, 50, 75, 95, 99)
            if (v := percentile(gaps, p)) is not None
        }
        | {"min": round(gaps[0], 3) if gaps else None, "max": round(gaps[-1], 3) if gaps else None},
        "gaps_under_interval": sum(1 for g in gaps if g < interval_ms),
        "gaps_under_90pct": sum(1 for g in gaps if g < 0.9 * interval_ms),
        "gaps_under_50pct": sum(1 for g in gaps if g < 0.5 * interval_ms),
        "max_in_1s": window_max,
        "max_in_100ms": max_in_window(arrivals, 0.1),
        "limit_in_1s": math.floor(rate),
        "within_limit": window_max <= math.floor(rate),
    }


def order(got: list, index: dict[str, int]) -> dict:
    """Arrival order (first message of each citizen) against ticket age."""
    first: dict[str, float] = {}
    for m in sorted(got, key=lambda m: m.arrived):
        first.setdefault(m.to, m.arrived)
    ranks = [index[to] for to in sorted(first, key=first.__getitem__)]
    dense = {r: k for k, r in enumerate(sorted(ranks))}
    positions = [dense[r] for r in ranks]
    n = len(positions)
    inv = inversions(positions)
    pairs = n * (n - 1) // 2
    displacement = [abs(pos - k) for k, pos in enumerate(positions)]
    return {
        "inversions": inv,
        "pairs": pairs,
        "kendall_tau": round(1 - 2 * inv / pairs, 6) if pairs else None,
        "max_displacement": max(displacement, default=0),
        "displaced": sum(1 for d in displacement if d),
        "adjacent_inversions": sum(1 for a, b in itertools.pairwise(positions) if a > b),
    }


def timeline(arrivals: list[float], t0: float, bucket: float) -> list[int]:
    counts: Counter[int] = Counter(int((a - t0) // bucket) for a in arrivals)
    return [counts.get(k, 0) for k in range(max(counts) + 1)] if counts else []


def _content_ok(message, i: int, seeded: Seeded) -> bool:
    number = seeded.numbers[i]
    if seeded.expects_template(i):
        try:
            variables = json.loads(message.content_variables or "{}")
        except ValueError:
            return False
        return bool(message.content_sid) and number in variables.values()
    return not message.content_sid and number in (message.body or "")


# -- the database afterwards -----------------------------------------------------------------


# the outbound rows of the release (the seeded history is older)
_SINCE_OPENING = "direction = 'out' AND created_at >= %s"


def database(name: str, sids: set[str]) -> dict:
    q = lambda sql, *params: stack.query(name, sql, params)  # noqa: E731
    tickets = dict(q("SELECT status, count(*) FROM ticket GROUP BY status"))
    [(released, released_tickets, last_event)] = q(
        "SELECT count(*), count(DISTINCT ticket_id), max(created_at) FROM ticket_event "
        "WHERE kind = 'released'"
    )
    outbound = dict(
        q(f"SELECT status, count(*) FROM message WHERE {_SINCE_OPENING} GROUP BY status", OPENING)
    )
    [(templates, max_attempts, last_queued, last_sent)] = q(
        "SELECT count(*) FILTER (WHERE content_sid IS NOT NULL), max(attempts), "
        f"max(created_at), max(sent_at) FROM message WHERE {_SINCE_OPENING}",
        OPENING,
    )
    [(tickets_not_one,)] = q(
        "SELECT count(*) FROM (SELECT t.id FROM ticket t LEFT JOIN message m "
        "ON m.ticket_id = t.id AND m.direction = 'out' AND m.created_at >= %s GROUP BY t.id "
        "HAVING count(m.id) <> 1) x",
        OPENING,
    )
    stored = [
        row[0]
        for row in q(
            f"SELECT provider_message_id FROM message WHERE {_SINCE_OPENING} "
            "AND provider_message_id IS NOT NULL",
            OPENING,
        )
    ]
    attempts = dict(
        q(
            f"SELECT attempts, count(*) FROM message WHERE {_SINCE_OPENING} GROUP BY attempts",
            OPENING,
        )
    )
    released_per_10s = dict(
        q(
            "SELECT floor(extract(epoch FROM created_at - %s) / 10)::int, count(*) "
            "FROM ticket_event WHERE kind = 'released' GROUP BY 1 ORDER BY 1",
            OPENING,
        )
    )
    rows = sum(outbound.values())
    result = {
        "tickets": tickets,
        "released_events": released,
        "released_tickets": released_tickets,
        "outbound_rows": rows,
        "outbound_by_status": outbound,
        "templates": templates,
        "attempts": {str(k): v for k, v in sorted(attempts.items())},
        "max_attempts": max_attempts,
        "tickets_without_exactly_one_row": tickets_not_one,
        "rows_unknown_to_provider": sum(1 for s in stored if s not in sids),
        "provider_sids_without_row": len(sids - set(stored)),
        # on the rehearsal clock, which advanced with the wall clock from 08:00
        "release_done_after_s": _after_opening(last_event),
        "released_per_10s": [
            released_per_10s.get(k, 0) for k in range(max(released_per_10s, default=-1) + 1)
        ],
        "last_queued_after_s": _after_opening(last_queued),
        "last_sent_after_s": _after_opening(last_sent),
    }
    total = sum(tickets.values())
    result["passed"] = (
        tickets.get("waiting", 0) == total
        and released == total
        and released_tickets == total
        and outbound.get("queued", 0) == rows == total
        and tickets_not_one == 0
        and result["rows_unknown_to_provider"] == 0
        and result["provider_sids_without_row"] == 0
    )
    return result


def _after_opening(at) -> float | None:
    return None if at is None else round((at - OPENING).total_seconds(), 3)


# -- the workers' logs -----------------------------------------------------------------------

_DEFERRED = re.compile(r"message \d+ deferred ([\d.]+)s: ([a-z ]+)")
_OUTCOME = re.compile(r"Task channels\.send_message\[[^\]]+\] succeeded in ([\d.]+)s: '(\w+)'")
_RETRY = re.compile(r"Task channels\.send_message\[[^\]]+\] retry:")
_RELEASE = re.compile(r"Task tickets\.release_deferred\[[^\]]+\] succeeded in ([\d.]+)s: (\d+)")


def worker_logs(texts: dict[str, str]) -> dict:
    deferred: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    durations: list[float] = []
    retries = errors = warnings = 0
    releases = []
    samples: list[str] = []
    for name, text in texts.items():
        for line in text.splitlines():
            if m := _DEFERRED.search(line):
                deferred[m.group(2).strip()] += 1
            elif m := _OUTCOME.search(line):
                outcomes[m.group(2)] += 1
                durations.append(float(m.group(1)) * 1000)
            elif _RETRY.search(line):
                retries += 1
            elif m := _RELEASE.search(line):
                releases.append(
                    {"worker": name, "seconds": float(m.group(1)), "released": int(m.group(2))}
                )
            if " ERROR" in line or "Traceback" in line or "CRITICAL" in line:
                errors += 1
                if len(samples) < 10:
                    samples.append(line[:300])
            elif " WARNING" in line:
                warnings += 1
                if len(samples) < 10:
                    samples.append(line[:300])
    durations.sort()
    return {
        "send_outcomes": dict(outcomes),
        "send_retries": retries,
        "deferred": dict(deferred),
        "send_task_ms": {
            f"p{p}": round(v, 1)
            for p in (50, 90, 99)
            if (v := percentile(durations, p)) is not None
        },
        "releases": releases,
        "errors": errors,
        "warnings": warnings,
        "error_samples": samples,
    }


# -- markdown --------------------------------------------------------------------------------


def markdown(result: dict) -> str:
    cfg, s = result["config"], result["sends"]
    t, p, o = s.get("timing", {}), s.get("pacing", {}), s.get("order", {})
    db, logs = result["database"], result["worker_logs"]
    gaps = p.get("gap_ms", {})
    ok = lambda flag: "ok" if flag else "**FAIL**"  # noqa: E731
    rows = [
        (
            "tickets released / citizens",
            f"{cfg['tickets']:,}",
            f"OUTBOUND_RATE_PER_SECOND={cfg['rate']:g}, checked against {cfg['limit']:g}/s",
        ),
        (
            "workers (prefork concurrency)",
            " + ".join(map(str, cfg["workers"])),
            f"{cfg['beats']} publish(es) of tickets.release_deferred; product: {cfg['source']}"
            + (f" + {', '.join(cfg['patches'])}" if cfg.get("patches") else ""),
        ),
        (
            "messages received",
            f"{s['messages']:,}",
            f"{s.get('texts', 0):,} texts, {s.get('templates', 0):,} templates",
        ),
        (
            "per citizen",
            f"missing {s['missing']}, duplicated {s['duplicated']}, stray {s['stray']}",
            ok(s["exactly_once"] and not s["wrong_content"]),
        ),
        ("publish → first message", f"{t.get('first_after_s', '-')} s", ""),
        (
            "publish → last message",
            f"{t.get('last_after_s', '-')} s",
            f"limit {t.get('limit_s')} s, target ≤ {t.get('target_s')} s: "
            f"{ok(t.get('within_10pct'))}",
        ),
        (
            "vs the rate limit's time",
            f"{t.get('vs_limit', '-')}×",
            f"steady rate {t.get('steady_rate')}/s",
        ),
        (
            "order: inversions",
            f"{o.get('inversions', '-'):,}" if o else "-",
            f"Kendall τ {o.get('kendall_tau')}, max displacement {o.get('max_displacement')}, "
            f"displaced {o.get('displaced')}",
        ),
        (
            "pacing: max in any 1 s",
            str(p.get("max_in_1s", "-")),
            f"limit {p.get('limit_in_1s')}: {ok(p.get('within_limit'))}; "
            f"max in 100 ms {p.get('max_in_100ms')}",
        ),
        (
            "gap between arrivals (ms)",
            f"min {gaps.get('min')}",
            f"p0.1 {gaps.get('p0.1')}, p1 {gaps.get('p1')}, p5 {gaps.get('p5')}, "
            f"p50 {gaps.get('p50')}, p99 {gaps.get('p99')}, max {gaps.get('max')}",
        ),
        (
            "gaps under the interval",
            str(p.get("gaps_under_interval", "-")),
            f"under 90 %: {p.get('gaps_under_90pct')}, under 50 %: {p.get('gaps_under_50pct')}",
        ),
        (
            "database",
            f"waiting {db['tickets'].get('waiting', 0):,}, "
            f"released events {db['released_events']:,}",
            f"outbound {db['outbound_by_status']}, one row per ticket: "
            f"{db['tickets_without_exactly_one_row'] == 0}; {ok(db['passed'])}",
        ),
        (
            "release transaction done",
            f"{db.get('release_done_after_s')} s after 08:00",
            "; ".join(
                f"{r['worker']}: {r['released']:,} in {r['seconds']:.1f} s"
                for r in logs["releases"]
            ),
        ),
        (
            "send tasks",
            f"{sum(logs['send_outcomes'].values()):,} runs",
            f"outcomes {logs['send_outcomes']}, deferrals {logs['deferred']}, "
            f"retries {logs['send_retries']}, task ms {logs['send_task_ms']}",
        ),
        (
            "pacing schedule ahead of now",
            f"max {result['schedule'].get('max_ahead_s')} s",
            f"median {result['schedule'].get('median_ahead_s')} s; sender idle in "
            f"{result['schedule'].get('idle_samples_pct')} % of half-second samples",
        ),
        (
            "worker log",
            f"{logs['errors']} errors, {logs['warnings']} warnings",
            f"peak RSS {result.get('worker_peak_rss_mib')} MiB",
        ),
        (
            "CPU used (cores)",
            " + ".join(f"{k} {v}" for k, v in result["machine"]["cores"].items()),
            "postgres: this database's backends; bench_and_fake: the fake Twilio's process; "
            "other: the rest of the machine (kernel, autovacuum, other people's work)",
        ),
        (
            "machine",
            f"{result['machine']['busy_pct']} % busy",
            f"{result['machine']['cpus']} CPUs, load before {result['machine']['load_before']}",
        ),
    ]
    lines = ["| measure | value | detail |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    per10 = s.get("timeline_per_10s", [])
    lines.append("")
    lines.append(f"Messages per 10 s after the publish: {per10}")
    lines.append(f"Tickets released per 10 s (rehearsal clock): {db.get('released_per_10s')}")
    return "\n".join(lines)
