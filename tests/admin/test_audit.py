"""The access audit for admins: the page (filters, newest first, masked), its CSV and the
`pandawa audit export` command; every export is itself recorded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa
from flask import g

from pandawa.audit.models import AuditEvent
from pandawa.audit.operations import record
from tests.harness import sign_in, with_password


def _events(session, make_user, clock):
    agent = make_user("agen@example.go.id")
    record(session, "reveal", actor_id=agent.id, ticket_number="PDW-1", field="phone",
           address="10.0.0.1")  # fmt: skip
    clock.advance(minutes=1)
    record(session, "document_view", actor_id=agent.id, ticket_number="PDW-2",
           field="document.1.0", address="10.0.0.2",
           details={"note": "=HYPERLINK(\"x\")", "typed": "3174 0101 0101 0001"})  # fmt: skip
    clock.advance(days=3)
    record(session, "reveal", actor_label="=SUM(A1)", ticket_number="PDW-3", field="details.nik")
    session.commit()
    return agent


def _admin(client, make_user, session):
    admin = with_password(make_user("admin@example.go.id", role="admin"))
    session.commit()
    assert sign_in(client, admin.email).status_code == 302
    return admin


def test_the_page_filters_newest_first_and_masks(client, session, make_user, clock):
    _events(session, make_user, clock)
    _admin(client, make_user, session)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.index("PDW-3") < page.index("PDW-2") < page.index("PDW-1")
    assert "3174 0101 0101 0001" not in page and "3174 **** **** 0001" in page
    only = client.get("/admin/audit?action=reveal&actor=agen@example.go.id").get_data(as_text=True)
    assert "PDW-1" in only and "PDW-2" not in only and "PDW-3" not in only
    assert "PDW-2" in client.get("/admin/audit?ticket=PDW-2").get_data(as_text=True)
    day = (clock.now() - timedelta(days=3)).date().isoformat()
    ranged = client.get(f"/admin/audit?from={day}&to={day}").get_data(as_text=True)
    assert "PDW-1" in ranged and "PDW-3" not in ranged


def test_agents_and_supervisors_get_403(app, session, make_user):
    for role in ("agent", "supervisor"):
        client = app.test_client()
        g.pop("_login_user", None)  # the test's app context outlives each request
        user = with_password(make_user(f"{role}@example.go.id", role=role))
        session.commit()
        sign_in(client, user.email)
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
    assert session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "audit_export")) is None


def test_the_csv_is_masked_neutralised_and_recorded(client, session, make_user, clock):
    _events(session, make_user, clock)
    admin = _admin(client, make_user, session)
    response = client.get("/admin/audit.csv?action=document_view")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["ticket_number"] for r in rows] == ["PDW-2"]
    assert "3174 **** **** 0001" in rows[0]["details"]
    [export] = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit_export"))
    assert export.actor_id == admin.id and export.details == {
        "filters": {"action": "document_view"}
    }


def test_the_command_exports_to_stdout_or_a_file_and_is_recorded(app, session, make_user, clock,
                                                                  tmp_path):  # fmt: skip
    _events(session, make_user, clock)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "export"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0]["action"] == "audit_export"  # recorded before it is written: it is in it
    assert [r["ticket_number"] for r in rows[1:4]] == ["PDW-3", "PDW-2", "PDW-1"]
    assert rows[1]["actor"] == "'=SUM(A1)"  # a cell a spreadsheet will not run
    assert all("0101 0101" not in r["details"] for r in rows)
    day = clock.now().date().isoformat()
    out = tmp_path / "audit.csv"
    result = runner.invoke(
        args=["audit", "export", "--from", day, "--to", day, "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    tickets = [r["ticket_number"] for r in csv.DictReader(io.StringIO(out.read_text()))]
    assert "PDW-3" in tickets and "PDW-1" not in tickets
    exports = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit_export"))
    assert [e.actor_label for e in exports] == ["cli", "cli"]
