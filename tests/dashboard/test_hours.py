"""`/dashboard/offices/<code>/hours` (issue 17): a supervisor closes an office or one queue now,
opens extra hours and undoes either (CSRF, reason required, audited, times in the office's
zone in Indonesian form); agents get 403, an office outside the user's sight is 404."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.channels.models import Message
from pandawa.core.outbox import OutboxTask
from pandawa.hours.models import OfficeOverride
from pandawa.hours.queries import calendar_for
from pandawa.provisioning.operations import load_default
from pandawa.tickets.closure import TELL_TASK
from pandawa.tickets.models import Ticket
from pandawa.tickets.tasks import tell_calendar_change
from tests.harness import csrf_token, reset_throttle, sign_in, with_password

WIB = timezone(timedelta(hours=7))
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=WIB)


@pytest.fixture(autouse=True)
def _throttle(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.fixture
def setting(session, clock, make_office, make_queue, make_conversation, make_ticket, make_user):
    load_default(session)
    clock.set(TUESDAY_10)
    office = make_office("KC-BOGOR")
    queue = make_queue("PENGADUAN_X")
    ticket = make_ticket(queue=queue, conversation=make_conversation(office=office))
    supervisor = with_password(make_user("sri@example.go.id", role="supervisor"))
    session.flush()
    return office, queue, ticket, supervisor


def _signed_in(client, supervisor, path):
    assert sign_in(client, supervisor.email).status_code == 302
    return csrf_token(client, path)


def test_the_board_links_each_office_to_its_hours_page(session, client, setting):
    office, _queue, _ticket, supervisor = setting
    assert sign_in(client, supervisor.email).status_code == 302
    board = client.get("/dashboard/board").get_data(as_text=True)
    assert f'href="/dashboard/offices/{office.code}/hours"' in board
    page = client.get(f"/dashboard/offices/{office.code}/hours").get_data(as_text=True)
    assert "Jam layanan Kantor Cabang Uji" in page
    assert 'value="2026-12-01T15:00"' in page  # default: the end of today's hours, local time


def test_close_now_from_the_page(session, client, setting):
    office, _queue, ticket, supervisor = setting
    path = f"/dashboard/offices/{office.code}/hours"
    token = _signed_in(client, supervisor, path)
    assert client.post(path + "/close", data={"until": "2026-12-01T13:00"}).status_code == 400
    response = client.post(
        path + "/close",
        data={"csrf_token": token, "until": "2026-12-01T13:00", "reason": "Banjir setinggi lutut"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Kantor Cabang Uji ditutup sampai Selasa, 1 Desember 2026 pukul 13.00 WIB" in page
    assert "1 tiket ditunda, 1 warga diberi tahu" in page
    assert "Banjir setinggi lutut" in page and 'data-kind="closed"' in page
    assert "Saat ini tutup" in page
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "deferred"
    # the citizens are told by a named task after the commit: run it as a worker would
    task = session.scalar(sa.select(OutboxTask).where(OutboxTask.name == TELL_TASK))
    assert tell_calendar_change.run(*task.args) == 1
    body = session.scalar(sa.select(Message.body).where(Message.ticket_id == ticket.id))
    assert "Selasa, 1 Desember 2026 pukul 13.00 WIB" in body
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "office_closed"))
    assert audit.actor_id == supervisor.id and audit.details["office"] == office.code


def test_a_reason_and_a_time_are_required(session, client, setting):
    office, _queue, ticket, supervisor = setting
    path = f"/dashboard/offices/{office.code}/hours"
    token = _signed_in(client, supervisor, path)
    no_reason = client.post(
        path + "/close", data={"csrf_token": token, "until": "2026-12-01T13:00", "reason": " "}
    )
    assert no_reason.status_code == 422
    assert "Alasan wajib diisi" in no_reason.get_data(as_text=True)
    past = client.post(
        path + "/close", data={"csrf_token": token, "until": "2026-12-01T09:00", "reason": "x"}
    )
    assert past.status_code == 422
    bad = client.post(path + "/close", data={"csrf_token": token, "until": "besok", "reason": "x"})
    assert bad.status_code == 422
    assert session.scalar(sa.select(sa.func.count()).select_from(OfficeOverride)) == 0
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "waiting"


def test_close_one_queue_then_undo(session, client, setting):
    office, queue, _ticket, supervisor = setting
    path = f"/dashboard/offices/{office.code}/hours"
    token = _signed_in(client, supervisor, path)
    client.post(
        path + "/close",
        data={
            "csrf_token": token,
            "queue": queue.code,
            "until": "2026-12-01T12:00",
            "reason": "Petugas rapat",
        },
    )
    row = session.scalar(sa.select(OfficeOverride))
    assert row.queue_id == queue.id
    assert calendar_for(session, office).is_open(TUESDAY_10)
    assert not calendar_for(session, office, queue_id=queue.id).is_open(TUESDAY_10)
    page = client.get(path).get_data(as_text=True)
    assert f"Antrean {queue.code}" in page
    response = client.post(
        f"{path}/overrides/{row.id}/undo", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Dibatalkan; jam layanan kembali seperti semula" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(OfficeOverride, row.id).revoked_at is not None
    assert calendar_for(session, office, queue_id=queue.id).is_open(TUESDAY_10)
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("office%"))
    ).all()
    assert actions == ["office_closed", "office_override_undone"]
    unknown = client.post(
        path + "/close",
        data={"csrf_token": token, "queue": "NOPE", "until": "2026-12-01T12:00", "reason": "x"},
    )
    assert unknown.status_code == 422


def test_open_extra_hours(session, client, setting):
    office, _queue, _ticket, supervisor = setting
    path = f"/dashboard/offices/{office.code}/hours"
    token = _signed_in(client, supervisor, path)
    response = client.post(
        path + "/open",
        data={
            "csrf_token": token,
            "starts": "2026-12-05T08:00",
            "ends": "2026-12-05T12:00",
            "reason": "Hari layanan Sabtu",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Jam tambahan Sabtu, 5 Desember 2026 pukul 08.00 WIB sampai" in page
    assert calendar_for(session, office).is_open(datetime(2026, 12, 5, 9, 0, tzinfo=WIB))


def test_agents_get_403(session, client, setting, make_user):
    office, *_ = setting
    agent = with_password(make_user("ani@example.go.id"))
    assert sign_in(client, agent.email).status_code == 302
    assert client.get(f"/dashboard/offices/{office.code}/hours").status_code == 403
    assert client.post(f"/dashboard/offices/{office.code}/hours/close").status_code in (400, 403)


def test_an_unknown_office_is_404(session, client, setting):
    *_, supervisor = setting
    assert sign_in(client, supervisor.email).status_code == 302
    assert client.get("/dashboard/offices/NOPE/hours").status_code == 404


def test_the_page_obeys_visible_offices_clause(session, client, setting, monkeypatch):
    """Whatever the scopes engineer makes of `visible_offices_clause`, the page follows it."""
    from pandawa.dashboard import hours as page

    office, _queue, _ticket, supervisor = setting
    monkeypatch.setattr(page, "visible_offices_clause", lambda user: sa.false())
    assert sign_in(client, supervisor.email).status_code == 302
    assert client.get(f"/dashboard/offices/{office.code}/hours").status_code == 404


def test_the_page_in_english(session, client, setting):
    office, _queue, _ticket, supervisor = setting
    path = f"/dashboard/offices/{office.code}/hours"
    token = _signed_in(client, supervisor, path)
    client.set_cookie("lang", "en")
    response = client.post(
        path + "/close",
        data={"csrf_token": token, "until": "2026-12-01T13:00", "reason": "Power cut"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Kantor Cabang Uji closed until Tuesday, 1 December 2026 at 13:00 WIB" in page
    assert "Closures and extra hours in force" in page and ">Undo</button>" in page
