"""Integrity checks and the markdown table of the ingest bench."""

from __future__ import annotations

import statistics

from openloop import Outcome
from signed import RequestFile
from wrkrun import WrkResult


def wrk_integrity(requests: RequestFile, result: WrkResult, stored: list[str]) -> dict:
    """Compare what wrk sent and heard with the rows the database holds.

    wrk cannot say which MessageSid got which answer, and it stops with up to one request
    in flight per connection, so a missing row is only proven harmless when it is among the
    requests that had no 2xx answer; with no missing row at all, zero lost is exact."""
    issued = requests.issued(result.per_thread_issued)
    stored_set = set(stored)
    missing = len(issued - stored_set)
    unanswered = max(0, result.issued - result.completed)
    lost_min = max(0, missing - unanswered - result.non2xx)
    report = {
        "issued": len(issued),
        "ok_responses": result.ok,
        "non2xx": result.non2xx,
        "unanswered": unanswered,
        "rows": len(stored),
        "distinct": len(stored_set),
        "duplicated": len(stored) - len(stored_set),
        "stray": len(stored_set - issued),
        "missing": missing,
        "lost_min": lost_min,
        "lost_max": min(missing, result.ok),
    }
    report["passed"] = report["duplicated"] == 0 and report["stray"] == 0 and lost_min == 0
    return report


def exact_integrity(requests: RequestFile, outcomes: list[Outcome], stored: list[str]) -> dict:
    """The open-loop run knows each request's answer: every 2xx must have exactly one row."""
    answered = {
        requests.sid(i)
        for i, o in enumerate(outcomes)
        if o.status is not None and 200 <= o.status < 300
    }
    stored_set = set(stored)
    report = {
        "sent": len(outcomes),
        "ok_responses": len(answered),
        "rows": len(stored),
        "distinct": len(stored_set),
        "duplicated": len(stored) - len(stored_set),
        "lost": len(answered - stored_set),
        # e.g. a request that timed out at the client but was stored: not a loss
        "stored_without_2xx": len(stored_set - answered),
    }
    report["passed"] = report["duplicated"] == 0 and report["lost"] == 0
    return report


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def tasks_text(t: dict | None) -> str:
    """One run's tasks handed on, e.g. "outbox 3012 / published 3012 / queued 3012 ok" or
    "queued 0 (publishes none) ok" for a side that publishes nothing (db mode: not a failure)."""
    if not t:
        return "—"
    if "outbox_written" in t:
        text = f"outbox {t['outbox_written']} / published {t['outbox_published']} / "
    else:
        text = ""
    text += f"queued {t['queued']}"
    if not t["expected"] and not t["queued"]:
        text += " (publishes none)"
    elif t["queued"] != t["expected"]:
        text += f" (expected {t['expected']})"
    return text + (" ok" if t["passed"] else " MISMATCH")


def _tasks_summary(runs: list[dict]) -> dict:
    tasks = [r["tasks"] for r in runs if r.get("tasks")]

    def total(key: str) -> int | None:
        values = [t[key] for t in tasks if key in t]
        return sum(values) if values else None

    return {
        "tasks_expected": total("expected"),
        "tasks_queued": total("queued"),
        "outbox_written": total("outbox_written"),
        "outbox_published": total("outbox_published"),
        "tasks_passed": all(t["passed"] for t in tasks),
    }


def _dispatcher_ms(runs: list[dict]) -> float | None:
    return _median(
        [
            r["tasks"]["dispatcher_cpu_ms_per_request"]
            for r in runs
            if (r.get("tasks") or {}).get("dispatcher_cpu_ms_per_request") is not None
        ]
    )


def side_summary(runs: list[dict], fixed: list[dict], peak_kib: int | None) -> dict:
    measured = [r["wrk"] for r in runs]
    return {
        **_tasks_summary(runs + fixed),
        "dispatcher_cpu_ms": _dispatcher_ms(runs),
        "fixed_dispatcher_cpu_ms": _dispatcher_ms(fixed),
        "rps": _median([m["rps"] for m in measured]),
        "p50_ms": _median([m["latency_ms"]["p50"] for m in measured]),
        "p99_ms": _median([m["latency_ms"]["p99"] for m in measured]),
        "worker_cpu_ms": _median([r["cpu"]["worker_cpu_ms_per_request"] for r in runs]),
        "postgres_cpu_ms": _median([r["cpu"]["postgres_cpu_ms_per_request"] for r in runs]),
        "other_cores": _median([r["cpu"]["other_cores"] for r in runs + fixed]),
        "fixed_p50_ms": _median([f["load"]["latency_ms"]["p50"] for f in fixed]),
        "fixed_p99_ms": _median([f["load"]["latency_ms"]["p99"] for f in fixed]),
        "fixed_worker_cpu_ms": _median([f["cpu"]["worker_cpu_ms_per_request"] for f in fixed]),
        "fixed_rate": _median([f["load"]["offered_rate"] for f in fixed]),
        "fixed_failed": sum(
            n for f in fixed for k, n in f["load"]["statuses"].items() if not k.startswith("2")
        ),
        "peak_worker_mib": round(peak_kib / 1024, 1) if peak_kib else None,
        # wrk rounds: rows missing beyond the requests left unanswered; fixed rate: exact
        "lost": sum(r["integrity"]["lost_min"] for r in runs)
        + sum(f["integrity"]["lost"] for f in fixed),
        "duplicated": sum(r["integrity"]["duplicated"] + r["integrity"]["stray"] for r in runs)
        + sum(f["integrity"]["duplicated"] for f in fixed),
        "ok_responses": sum(r["integrity"]["ok_responses"] for r in runs + fixed),
        "non2xx": sum(r["wrk"]["non2xx"] for r in runs),
        "socket_errors": sum(sum(r["wrk"]["socket_errors"].values()) for r in runs),
        "exhausted_runs": sum(1 for r in runs if r["wrk"]["exhausted"]),
        "integrity_passed": all(r["integrity"]["passed"] for r in runs + fixed),
    }


ROWS = [
    ("throughput, req/s (wrk -t2 -c16, median of rounds)", "rps", "{:.0f}"),
    ("latency p50 at full load, ms", "p50_ms", "{:.2f}"),
    ("latency p99 at full load, ms", "p99_ms", "{:.2f}"),
    ("web worker CPU per request at full load, ms", "worker_cpu_ms", "{:.2f}"),
    (
        "dispatcher CPU per request at full load, ms (apart from the web workers)",
        "dispatcher_cpu_ms",
        "{:.2f}",
    ),
    ("PostgreSQL CPU per request at full load, ms", "postgres_cpu_ms", "{:.2f}"),
    ("latency p50 at {rate} req/s (open loop), ms", "fixed_p50_ms", "{:.2f}"),
    ("latency p99 at {rate} req/s (open loop), ms", "fixed_p99_ms", "{:.2f}"),
    ("dispatcher CPU per request at {rate} req/s, ms", "fixed_dispatcher_cpu_ms", "{:.2f}"),
    ("peak web worker memory (VmHWM, max of workers), MiB", "peak_worker_mib", "{:.1f}"),
]


def _fmt(fmt: str, value: float | None) -> str:
    return "—" if value is None else fmt.format(value)


def markdown(summary: dict[str, dict], titles: dict[str, str], rate: float) -> str:
    """The summary table: one column per side, then one ratio column per baseline side
    ("Pandawa / baseline (db)", "Pandawa / baseline (celery)") when Pandawa ran too."""
    keys = list(summary)
    head = ["metric", *(titles[k] for k in keys)]
    baselines = [k for k in keys if k.startswith("baseline")] if "pandawa" in summary else []
    head += [f"Pandawa / {titles[b]}" for b in baselines]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(label: str, cells: list[str], ratios: list[str] | None = None) -> None:
        lines.append("| " + " | ".join([label, *cells, *(ratios or [""] * len(baselines))]) + " |")

    for label, key, fmt in ROWS:
        ratios = []
        for b in baselines:
            bv, pv = summary[b][key], summary["pandawa"][key]
            ratios.append(f"{pv / bv:.2f}×" if bv and pv is not None else "—")
        cells = [_fmt(fmt, summary[k][key]) for k in keys]
        if key.startswith("fixed_"):
            # at or beyond a side's capacity the open-loop latency is queueing, not service
            cells = [
                c + (" (saturated)" if (summary[k]["rps"] or 0) < rate and c != "—" else "")
                for c, k in zip(cells, keys, strict=True)
            ]
        row(label.format(rate=f"{rate:g}"), cells, ratios)
    row(
        "errors: non-2xx / socket (wrk), failed (open loop)",
        [f"{s['non2xx']} / {s['socket_errors']}, {s['fixed_failed']}" for s in summary.values()],
    )
    row(
        "integrity: 2xx answers / lost / duplicated",
        [
            f"{s['ok_responses']} / {s['lost']} / {s['duplicated']}"
            + (" ok" if s["integrity_passed"] else " FAIL")
            for s in summary.values()
        ],
    )
    row(
        "tasks handed on: outbox rows written / published / queued in Redis (all runs)",
        [_tasks_cell(s) for s in summary.values()],
    )
    row(
        "other load on the machine, cores (median)",
        [_fmt("{:.2f}", s["other_cores"]) for s in summary.values()],
    )
    return "\n".join(lines)


def _tasks_cell(s: dict) -> str:
    if s.get("tasks_queued") is None:
        return "—"
    parts = [
        _fmt("{}", s.get("outbox_written")),
        _fmt("{}", s.get("outbox_published")),
        str(s["tasks_queued"]),
    ]
    note = " (publishes none)" if not s["tasks_expected"] and not s["tasks_queued"] else ""
    return " / ".join(parts) + note + (" ok" if s["tasks_passed"] else " MISMATCH")


def rounds_markdown(per_side: dict[str, list[dict]], titles: dict[str, str]) -> str:
    lines = [
        "| side | round | req/s | p50 ms | p99 ms | worker CPU ms/req | 2xx | rows "
        "| duplicated | missing / unanswered | non-2xx | tasks handed on "
        "| dispatcher CPU ms/req | other load, cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, runs in per_side.items():
        for r in runs:
            w, i, c = r["wrk"], r["integrity"], r["cpu"]
            flag = " (cut short)" if w["exhausted"] else ""
            lines.append(
                f"| {titles[key]} | {r['round'] + 1}{flag} | {w['rps']:.0f} | "
                f"{w['latency_ms']['p50']:.2f} | {w['latency_ms']['p99']:.2f} | "
                f"{c['worker_cpu_ms_per_request']:.2f} | {w['ok']} | {i['rows']} | "
                f"{i['duplicated'] + i['stray']} | {i['missing']} / {i['unanswered']} | "
                f"{w['non2xx']} | {tasks_text(r.get('tasks'))} | "
                f"{_fmt('{:.2f}', (r.get('tasks') or {}).get('dispatcher_cpu_ms_per_request'))} | "
                f"{c['other_cores']} |"
            )
    return "\n".join(lines)


def fixed_markdown(per_side: dict[str, list[dict]], titles: dict[str, str], rate: float) -> str:
    lines = [
        "| side | round | offered req/s | p50 ms | p90 ms | p99 ms | max ms | statuses "
        "| send lag p99 ms | worker CPU ms/req | lost | duplicated | tasks handed on "
        "| dispatcher CPU ms/req | other load, cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, runs in per_side.items():
        for f in runs:
            load, i, c, lat = f["load"], f["integrity"], f["cpu"], f["load"]["latency_ms"]
            lines.append(
                f"| {titles[key]} | {f['round'] + 1} | {load['offered_rate']} | {lat['p50']} | "
                f"{lat['p90']} | {lat['p99']} | {lat['max']} | {load['statuses']} | "
                f"{load['send_lag_ms']['p99']} | {c['worker_cpu_ms_per_request']:.2f} | "
                f"{i['lost']} | {i['duplicated']} | {tasks_text(f.get('tasks'))} | "
                f"{_fmt('{:.2f}', (f.get('tasks') or {}).get('dispatcher_cpu_ms_per_request'))} | "
                f"{c['other_cores']} |"
            )
    return "\n".join(lines)
