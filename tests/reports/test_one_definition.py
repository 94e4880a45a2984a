"""One definition of every figure (issue 17, item 6): each figure read from every surface that
shows it — (a) the figures page's HTML and the board's, (b) figures.csv (and tickets.csv for
the counts), (c) the API's JSON, (d) /metrics for the live ones — must equal (e) the
definition function itself, computed by both of its paths (SQL and Python) on the same tickets.
One test per figure, so a failure names the figure, the surface and the row.

The tickets, run through the real operations with the FixedClock moved between steps (times
WIB unless marked WITA; office JKT Asia/Jakarta, office MKS Asia/Makassar; Mon–Fri 08–15):

  T1 JKT QA Fri 27 Nov 14:30, answered Mon 30 Nov 08:15 (the weekend: 2700 business, 236700
     calendar), resolved 08:45, rated 4
  T4 JKT QB Mon 30 Nov 10:00, transferred to QA 10:05, answered 10:40, resolved 11:00 (2400 s
     against QA's 1800: missed), rated 2
  T5 JKT QA Mon 30 Nov 13:00, answered 13:05, resolved 13:30, REOPENED 13:40 (the citizen wrote
     again), held by A since
  T6 MKS QB Tue 1 Dec 08:30 WITA, cancelled by the citizen 08:40
  T2 MKS QB Tue 1 Dec 09:00 WITA, answered 09:04, resolved 09:20, rated 5
  T7 JKT QC Wed 23 Dec 14:00, answered Mon 28 Dec 08:30 (Christmas cuti bersama and holiday,
     then the weekend: 5400 business, 412200 calendar), held by C
  T9 JKT QC Sun 27 Dec 20:00, deferred (not released yet)
  T8 MKS QB Mon 28 Dec 08:00 WITA, never answered: past QB's 900 s, stamped by the SLA beat
  T3 JKT QA Mon 28 Dec 09:50, waiting; at 10:00 the supervisor opens the figures page, at
     10:01 she transfers T3 to QC; everything is read at 10:03.

On main before this change the page still showed T3 in QA (the range kept at 10:00) while
figures.csv counted it in QC: `created`, `transferred` and the waits of QA and QC disagreed.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import asdict
from datetime import date, datetime
from html import unescape
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pandawa.core.clock import now
from pandawa.dashboard.i18n import business_duration
from pandawa.reports import definitions
from pandawa.reports import figures as fig
from pandawa.reports.board import live_queues
from pandawa.reports.scope import scope_for_days
from pandawa.reports.tasks import mark_breaches
from pandawa.tickets.cancel import cancel_by_citizen
from pandawa.tickets.claims import claim_next
from pandawa.tickets.operations import open_ticket, reply, resolve, transfer
from pandawa.tickets.returns import reopen_to
from tests.harness import reset_throttle, sign_in, with_password

WIB, WITA = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar")
FIRST, LAST = date(2026, 11, 27), date(2026, 12, 28)
RANGE = f"from={FIRST}&to={LAST}"


def at(month: int, day: int, hour: int, minute: int = 0, zone: ZoneInfo = WIB) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone)


@pytest.fixture
def desk(session, clock, make_office, make_queue, make_user, make_conversation):
    """The tickets of the module docstring, up to 10:00 on Monday 28 December."""
    jkt = make_office("JKT")
    mks = make_office("MKS", timezone="Asia/Makassar", whatsapp_address="whatsapp:+6281100000001")
    qa, qb, qc = make_queue("QA"), make_queue("QB", sla_seconds=900), make_queue("QC")
    qc.sla_seconds = 3600
    a = make_user("a@example.go.id", queues=[qa, qb])
    b = make_user("b@example.go.id", queues=[qb, qc])
    c = make_user("c@example.go.id", queues=[qc])
    boss = with_password(make_user("boss@example.go.id", role="supervisor"))
    t: dict[str, Any] = {}

    def open_(name, when, office, queue, status="waiting"):
        clock.set(when)
        conversation = make_conversation(office=office)
        t[name] = open_ticket(
            session,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            office_id=office.id,
            queue_id=queue.id,
            details={"service": queue.code},
            status=status,
        )
        t[name].conversation = conversation

    def claim(name, agent, when):
        clock.set(when)
        assert claim_next(session, agent) is t[name]

    def answer(name, agent, when):
        clock.set(when)
        t[name].conversation.last_inbound_at = when  # the citizen just wrote: window open
        reply(session, t[name], agent, "Baik, kami bantu.")

    def done(name, agent, when, rating=None):
        clock.set(when)
        resolve(session, t[name], agent)
        t[name].satisfaction = rating

    open_("T1", at(11, 27, 14, 30), jkt, qa)
    claim("T1", a, at(11, 30, 8, 5))
    answer("T1", a, at(11, 30, 8, 15))
    done("T1", a, at(11, 30, 8, 45), rating=4)
    open_("T4", at(11, 30, 10), jkt, qb)
    clock.set(at(11, 30, 10, 5))
    transfer(session, t["T4"], boss, "QA")
    claim("T4", a, at(11, 30, 10, 10))
    answer("T4", a, at(11, 30, 10, 40))
    done("T4", a, at(11, 30, 11), rating=2)
    open_("T5", at(11, 30, 13), jkt, qa)
    claim("T5", a, at(11, 30, 13, 1))
    answer("T5", a, at(11, 30, 13, 5))
    done("T5", a, at(11, 30, 13, 30))
    clock.set(at(11, 30, 13, 40))
    reopen_to(session, t["T5"], a, now())
    open_("T6", at(12, 1, 8, 30, WITA), mks, qb)
    clock.set(at(12, 1, 8, 40, WITA))
    assert cancel_by_citizen(session, t["T6"])
    open_("T2", at(12, 1, 9, 0, WITA), mks, qb)
    claim("T2", a, at(12, 1, 9, 2, WITA))
    answer("T2", a, at(12, 1, 9, 4, WITA))
    done("T2", a, at(12, 1, 9, 20, WITA), rating=5)
    open_("T7", at(12, 23, 14), jkt, qc)
    open_("T9", at(12, 27, 20), jkt, qc, status="deferred")
    claim("T7", c, at(12, 28, 8, 20))
    answer("T7", c, at(12, 28, 8, 30))
    open_("T8", at(12, 28, 8, 0, WITA), mks, qb)
    open_("T3", at(12, 28, 9, 50), jkt, qa)
    clock.set(at(12, 28, 10))
    assert mark_breaches(session, now()) == 1  # T8, the beat's stamp
    for agent, presence in ((a, "online"), (b, "offline"), (c, "online")):
        agent.presence, agent.last_seen_at = presence, now()
    session.flush()
    return SimpleNamespace(t=t, a=a, b=b, c=c, boss=boss, queues=(qa, qb, qc))


# -- reading each surface ------------------------------------------------------------------


def _number(raw: str | None) -> float | int | None:
    if raw is None or raw == "":
        return None
    return float(raw) if any(ch in raw for ch in ".eE") else int(raw)


def _page_rows(html: str, table_id: str) -> dict[str, dict[str, Any]]:
    """{row key: {figure: value}} from the `<data>` elements of one figures table."""
    table = re.search(rf'<table class="figures" id="{table_id}">.*?</table>', html, re.S)
    assert table, table_id
    rows = {}
    for key, body in re.findall(r'<tr data-key="([^"]+)"[^>]*>(.*?)</tr>', table.group(), re.S):
        values = re.findall(r'<data data-name="([^"]+)" value="([^"]*)"[^>]*>', body)
        rows[key] = {name: _number(value) for name, value in values}
    return rows


def _csv_rows(text: str, key: str = "key") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _metrics(text: str) -> dict[tuple[str, tuple], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _read_everything(app, client, session, clock, desk, make_token) -> dict[str, Any]:
    reset_throttle(app)
    assert sign_in(client, desk.boss.email).status_code == 302
    # 10:00: the supervisor opens the figures page (the range is kept for the next readers)
    assert client.get(f"/dashboard/figures?{RANGE}").status_code == 200
    # 10:01: she moves T3 to QC
    clock.set(at(12, 28, 10, 1))
    transfer(session, desk.t["T3"], desk.boss, "QC")
    session.flush()
    # 10:03: everything is read
    clock.set(at(12, 28, 10, 3))
    api = {"Authorization": f"Bearer {make_token(desk.boss)}"}

    html = unescape(client.get(f"/dashboard/figures?{RANGE}").get_data(as_text=True))
    page = {"queue": _page_rows(html, "by-queue"), "agent": _page_rows(html, "by-agent")}
    page["all"] = {"all": page["queue"].pop("all")}
    figures_csv = {}
    for by in ("queue", "agent", "all"):
        response = client.get(f"/dashboard/export/figures.csv?by={by}&{RANGE}")
        assert response.status_code == 200
        figures_csv[by] = {
            row["key"]: {k: _number(v) for k, v in row.items() if k not in ("key", "label")}
            for row in _csv_rows(response.get_data(as_text=True))
        }
    tickets = _csv_rows(client.get(f"/dashboard/export/tickets.csv?{RANGE}").get_data(as_text=True))
    stats_q = client.get(f"/api/v1/stats/queues?{RANGE}", headers=api)
    stats_a = client.get(f"/api/v1/stats/agents?{RANGE}", headers=api)
    queues = client.get("/api/v1/queues", headers=api)
    assert stats_q.status_code == stats_a.status_code == queues.status_code == 200
    board_json = client.get("/dashboard/board?format=json").get_json()
    board_html = unescape(client.get("/dashboard/board").get_data(as_text=True))
    metrics = client.get("/metrics")
    assert metrics.status_code == 200

    scope = scope_for_days(FIRST, LAST, "Asia/Jakarta")
    definition = {
        method: {
            by: {
                row.key: asdict(row)
                for row in fig.figures(session, desk.boss, scope, by, method=method)
            }
            for by in ("queue", "agent", "all")
        }
        for method in ("sql", "python")
    }
    return {
        "page": page,
        "figures.csv": figures_csv,
        "tickets.csv": tickets,
        "api": {
            "queue": {i["queue"]: i for i in stats_q.get_json()["items"]},
            "agent": {i["agent"]: i for i in stats_a.get_json()["items"]},
        },
        "api_queues": {i["code"]: i for i in queues.get_json()["items"]},
        "definition": definition,
        "live": {row.code: asdict(row) for row in live_queues(session, None, now())},
        "board_json": {q["code"]: q for q in board_json["queues"]},
        "board_html": board_html,
        "metrics": _metrics(metrics.get_data(as_text=True)),
    }


# The readings are plain values: read once (inside the first test's rolled-back transaction)
# and shared by every figure's test, so the module costs one fixture, not one per figure.
_READINGS: dict[str, Any] = {}


@pytest.fixture
def readings(request) -> dict[str, Any]:
    if not _READINGS:
        names = ("app", "client", "session", "clock", "desk", "make_token")
        _READINGS.update(_read_everything(*(request.getfixturevalue(n) for n in names)))
    return _READINGS


# -- the range figures ---------------------------------------------------------------------


def _range_mismatches(readings: dict[str, Any], d: definitions.Definition) -> list[str]:
    expected = readings["definition"]["sql"]
    found = []
    for by, rows in expected.items():
        for key, row in rows.items():
            want = row[d.name]
            seen = {"definition (python)": readings["definition"]["python"][by][key][d.name]}
            if d.page is not None:
                seen["page"] = readings["page"][by].get(key, {}).get(d.page, "missing")
            if d.csv is not None:
                seen["figures.csv"] = readings["figures.csv"][by].get(key, {}).get(d.csv, "missing")
            if by in readings["api"]:
                item = readings["api"][by].get(key, {})
                aliases = d.api_aliases if by == "queue" else ()
                for name in (d.api, *aliases):
                    seen[f"api {name}"] = item.get(name, "missing")
            found += [
                f"{surface} [{by} {key}] = {value!r}, the definition says {want!r}"
                for surface, value in seen.items()
                if value != want
            ]
    return found


@pytest.mark.parametrize("figure", definitions.RANGE_FIGURES, ids=lambda d: d.name)
def test_every_surface_shows_the_range_figure_of_the_definition(readings, figure):
    assert _range_mismatches(readings, figure) == []


@pytest.mark.parametrize("status", [None, "resolved", "cancelled"])
def test_the_tickets_behind_the_counts_sum_to_them(readings, status):
    """tickets.csv (the drill-down's rows) counted by its queue and agent columns gives the
    figures' counts: a transferred ticket is where its row says it is."""
    rows = [r for r in readings["tickets.csv"] if status is None or r["status"] == status]
    name = status or "created"
    for by, column in (("queue", "queue"), ("agent", "agent")):
        counted = Counter(r[column] for r in rows if r[column])
        expected = {
            key: row[name] for key, row in readings["definition"]["sql"][by].items() if row[name]
        }
        assert dict(counted) == expected, by


def test_the_hand_worked_figures(readings):
    """The definition itself on this fixture, worked out by hand (see the module docstring)."""
    rows = readings["definition"]["sql"]["queue"]
    qa, qb, qc = rows["QA"], rows["QB"], rows["QC"]
    # QA: T1, T4 (transferred in), T5 (reopened); T3 moved out to QC before the reading
    assert (qa["created"], qa["resolved"], qa["transferred"], qa["reopened"]) == (3, 2, 1, 1)
    assert (qa["wait_business_p50"], qa["sla_met"], qa["sla_counted"]) == (2400.0, 1, 3)
    assert (qa["wait_calendar_p50"], qa["wait_calendar_p90"]) == (2400.0, 189840.0)
    # QB: T6 cancelled, T2 answered in 240 s (WITA), T8 stamped late
    assert (qb["created"], qb["cancelled"], qb["sla_met"], qb["sla_counted"]) == (3, 1, 1, 2)
    # QC: T7 over Christmas (business 5400 vs calendar 412200), T9 deferred, T3 moved in
    assert (qc["created"], qc["transferred"], qc["responded"]) == (3, 1, 1)
    assert (qc["wait_business_p50"], qc["wait_calendar_p50"]) == (5400.0, 412200.0)
    (total,) = readings["definition"]["sql"]["all"].values()
    assert (total["created"], total["satisfaction_avg"], total["satisfaction_count"]) == (
        9,
        3.67,
        3,
    )


# -- the live figures ----------------------------------------------------------------------


def _live_mismatches(app, readings: dict[str, Any], d: definitions.Definition) -> list[str]:
    found = []
    board_html = readings["board_html"]
    for code, row in readings["live"].items():
        want = row[d.name]
        seen = {
            "board json": readings["board_json"][code][d.name],
            "api stats/queues": readings["api"]["queue"][code].get(d.name, "missing"),
        }
        if d.name in ("waiting", "deferred", "assigned"):
            seen["api queues"] = readings["api_queues"][code][d.name]
            key = ("pandawa_queue_tickets", (("queue", code), ("status", d.name)))
            seen["metrics"] = readings["metrics"].get(key, "missing")
        if d.metric is not None:
            value = readings["metrics"].get((d.metric, (("queue", code),)), "missing")
            seen["metrics"] = value if value != 0 or want is not None else None
        card = re.search(
            rf'<article class="qcard[^"]*" data-queue="{code}".*?</article>', board_html, re.S
        )
        assert card, code
        html_names = {"waiting": "waiting", "deferred": "deferred", "assigned": "assigned"}
        html_names["agents_online"] = "online"
        if d.name in html_names:
            shown = re.search(rf'data-count="{html_names[d.name]}">(\d+)<', card.group())
            seen["board html"] = int(shown.group(1)) if shown else "missing"
        if d.name == "oldest_wait_business_seconds":
            shown = re.search(r"<dd data-oldest>(.*?)</dd>", card.group(), re.S)
            text = shown.group(1).strip() if shown else "missing"
            with app.test_request_context():  # the board's words, in Indonesian
                words = business_duration(want)
            if text != words:
                found.append(f"board html [{code}] = {text!r}, the definition says {want!r}")
        found += [
            f"{surface} [{code}] = {value!r}, the definition says {want!r}"
            for surface, value in seen.items()
            if value != want
        ]
    return found


@pytest.mark.parametrize("figure", definitions.LIVE_FIGURES, ids=lambda d: d.name)
def test_every_surface_shows_the_live_figure_of_the_definition(app, readings, figure):
    assert _live_mismatches(app, readings, figure) == []


def test_the_hand_worked_live_figures(readings):
    live = readings["live"]
    assert {c: (r["waiting"], r["deferred"], r["assigned"]) for c, r in live.items()} == {
        "QA": (0, 0, 1),  # T5 reopened, held by A
        "QB": (1, 0, 0),  # T8
        "QC": (1, 1, 1),  # T3 (moved in), T9 deferred, T7 held by C
    }
    # T3 was created at 09:50: 13 minutes, in the office's hours too
    assert (live["QC"]["oldest_wait_seconds"], live["QC"]["oldest_wait_business_seconds"]) == (
        780,
        780,
    )
    # T8 since 08:00 WITA (07:00 WIB): 3 h 03 m of calendar, 3 h 03 m of MKS's open time
    assert live["QB"]["oldest_wait_seconds"] == live["QB"]["oldest_wait_business_seconds"] == 10980
    assert {c: r["agents_online"] for c, r in live.items()} == {"QA": 1, "QB": 1, "QC": 1}
