"""CSV exports: parse with the csv module, mask personal data unless admin, no formulas."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from pandawa.dashboard.drilldown import Drill, iter_ticket_rows
from pandawa.dashboard.exports import (
    figures_csv,
    may_reveal_personal,
    neutralise,
    tickets_csv,
)
from pandawa.reports import figures as fig


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def export(session, known, user) -> dict[str, dict[str, str]]:
    rows = iter_ticket_rows(session, user, known.scope, Drill())
    text = "".join(
        tickets_csv(rows, reveal_personal=may_reveal_personal(user), timezone="Asia/Jakarta")
    )
    return {row["number"]: row for row in parse(text)}


def test_supervisors_get_masked_names_and_numbers(session, known):
    rows = export(session, known, known.boss)
    t1 = rows[known.t["T1"].number]
    assert t1["contact_name"] == "'=" + "*" * 21  # =HYPERLINK("http://x") has 22 chars
    address = known.t["T1"].conversation.contact.address
    assert t1["contact_address"] != address
    assert t1["contact_address"][:14] == address[:14] and "*" in t1["contact_address"]
    assert rows[known.t["T2"].number]["contact_name"] == "'-* A**"
    assert t1["created_at"] == "2026-11-27T14:30:00+07:00"
    assert (t1["wait_business_seconds"], t1["handle_seconds"], t1["sla_met"]) == (
        "2700", "1800", "0",
    )  # fmt: skip
    assert rows[known.t["T8"].number]["sla_met"] == ""  # not counted


def test_admins_see_names_neutralised_and_numbers_masked(session, known):
    rows = export(session, known, known.admin)
    by_ticket = {name: rows[t.number]["contact_name"] for name, t in known.t.items()}
    assert by_ticket["T1"] == '\'=HYPERLINK("http://x")'
    assert (by_ticket["T5"], by_ticket["T2"], by_ticket["T3"]) == ("'+1 Budi", "'-2 Ani", "'@x")
    address = known.t["T1"].conversation.contact.address
    shown = rows[known.t["T1"].number]["contact_address"]
    assert shown.startswith("whatsapp:+62812") and "****" in shown and shown != address
    assert not may_reveal_personal(known.boss) and not may_reveal_personal(known.a)


def test_figures_csv_parses(session, known):
    rows = parse(figures_csv(fig.figures(session, known.boss, known.scope, by="queue")))
    kep = next(r for r in rows if r["key"] == "QKEP")
    assert (kep["created"], kep["wait_business_p90"], kep["sla_attainment"]) == (
        "7", "2910.0", "0.4",
    )  # fmt: skip


@given(st.text())
def test_no_cell_starts_like_a_formula(text):
    out = neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out in (text, "'" + text)
