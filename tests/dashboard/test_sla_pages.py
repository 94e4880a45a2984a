"""The dashboard's SLA alerts and queue settings (issue 17): the board fragment lists the
alerts with a badge, acknowledging needs CSRF and is audited, the history counts per queue;
/dashboard/settings changes targets, auto-assignment, idle-return minutes and capacities with
an audit of old → new, refuses bad values in both languages, and is closed to agents."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.reports.models import SlaAlert
from pandawa.reports.sla_alerts import record_alerts
from pandawa.tickets.models import Queue
from pandawa.tickets.scopes.operations import set_scope
from tests.harness import csrf_token, reset_throttle, sign_in, with_password
from tests.statements import statements_sent


@pytest.fixture(autouse=True)
def _throttle(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.fixture
def queue(make_queue):
    return make_queue("UMUM", sla_seconds=1800)


@pytest.fixture
def supervisor(make_user):
    return with_password(make_user("sri@example.go.id", role="supervisor"))


@pytest.fixture
def agent(make_user, queue):
    agent = with_password(make_user("ani@example.go.id", queues=[queue]))
    agent.name = "Ani Lestari"
    return agent


@pytest.fixture
def late(session, make_ticket, make_office, make_conversation, queue):
    """A ticket waiting 25 minutes of a 30-minute target: an 80 % alert."""
    ticket = make_ticket(queue=queue, conversation=make_conversation(office=make_office("JKT")))
    ticket.created_at = ticket.released_at = now() - timedelta(minutes=25)
    session.flush()
    record_alerts(session, now())
    return ticket


def test_the_board_lists_alerts_with_a_badge(session, client, supervisor, late):
    assert sign_in(client, supervisor.email).status_code == 302
    page = client.get("/dashboard/board").get_data(as_text=True)
    assert 'data-count="sla-alerts"' in page
    assert re.search(r'data-count="sla-alerts"[^>]*>1</span>', page)
    row = page[page.index(f'data-ticket="{late.number}"') :]
    assert 'data-level="80"' in page and "80 % target" in row
    assert "Tanggapan pertama" in row and "25 m dari 30 m" in row
    board = client.get("/dashboard").get_data(as_text=True)
    assert "sla_alerts.js" in board and 'id="sla-sound"' in board


def test_the_panel_adds_a_fixed_number_of_queries(
    session, client, supervisor, make_ticket, make_office, make_conversation, queue
):
    office = make_office("JKT")
    for _ in range(6):
        ticket = make_ticket(queue=queue, conversation=make_conversation(office=office))
        ticket.created_at = ticket.released_at = now() - timedelta(hours=1)
    session.flush()
    record_alerts(session, now())
    assert sign_in(client, supervisor.email).status_code == 302
    client.get("/dashboard/board")
    with statements_sent(db.engine) as sent:
        page = client.get("/dashboard/board").get_data(as_text=True)
    assert page.count('data-kind="first_response"') == 6
    assert len([s for s in sent if "FROM sla_alert" in s]) == 1


def test_acknowledge_needs_csrf_and_is_audited(session, client, supervisor, late):
    assert sign_in(client, supervisor.email).status_code == 302
    alert_id = session.scalar(sa.select(SlaAlert.id))
    path = f"/dashboard/sla-alerts/{alert_id}/ack"
    assert client.post(path).status_code == 400
    token = csrf_token(client, "/dashboard")
    response = client.post(path, data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Peringatan SLA tiket {late.number} ditandai sudah ditangani." in page
    assert "Tidak ada peringatan SLA aktif." in page
    audit = session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "sla_alert_acknowledged")
    )
    assert (audit.actor_id, audit.ticket_number) == (supervisor.id, late.number)
    assert (
        client.post("/dashboard/sla-alerts/999999/ack", data={"csrf_token": token}).status_code
        == 404
    )


def test_agents_get_403(session, client, agent, late):
    assert sign_in(client, agent.email).status_code == 302
    assert client.get("/dashboard/settings").status_code == 403
    assert client.get("/dashboard/sla-alerts").status_code == 403
    token = csrf_token(client, "/console")
    alert_id = session.scalar(sa.select(SlaAlert.id))
    ack = client.post(f"/dashboard/sla-alerts/{alert_id}/ack", data={"csrf_token": token})
    assert ack.status_code == 403
    save = client.post("/dashboard/settings/queues/UMUM", data={"csrf_token": token})
    assert save.status_code == 403


def test_history_counts_per_queue(session, client, supervisor, late):
    assert sign_in(client, supervisor.email).status_code == 302
    page = client.get("/dashboard/sla-alerts").get_data(as_text=True)
    row = page[page.index('<tr data-queue="UMUM">') :]
    assert re.search(r'data-level="80"><a [^>]*>1</a>', row)
    assert re.search(r'data-level="100"><a [^>]*>0</a>', row)
    assert f'data-ticket="{late.number}"' in page


# -- /dashboard/settings -------------------------------------------------------------------------
def form(token: str, **values: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "sla_minutes": "30",
        "resolution_minutes": "",
        "idle_return_minutes": "30",
    }
    data.update(values)
    return data


def test_a_supervisor_changes_a_queue_and_it_is_audited(session, client, supervisor, queue):
    assert sign_in(client, supervisor.email).status_code == 302
    page = client.get("/dashboard/settings").get_data(as_text=True)
    assert 'id="queue-UMUM"' in page and 'name="sla_minutes"' in page
    token = csrf_token(client, "/dashboard/settings")
    data = form(token, sla_minutes="20", resolution_minutes="480", is_auto_assign="1")
    data["idle_return_minutes"] = "15"
    response = client.post("/dashboard/settings/queues/UMUM", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Pengaturan antrean UMUM disimpan." in response.get_data(as_text=True)
    session.expire_all()
    row = session.get(Queue, queue.id)
    assert (row.sla_seconds, row.resolution_seconds, row.is_auto_assign) == (1200, 28800, True)
    assert row.idle_return_minutes == 15 and row.settings_edited_at == now()
    audit = session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "queue_settings_changed")
    )
    assert audit.actor_id == supervisor.id
    assert audit.details == {
        "queue": "UMUM",
        "changes": {
            "sla_minutes": [30, 20],
            "resolution_minutes": [None, 480],
            "is_auto_assign": [False, True],
            "idle_return_minutes": [30, 15],
        },
    }


def test_a_bad_value_is_refused_in_both_languages(session, client, supervisor, queue):
    assert sign_in(client, supervisor.email).status_code == 302
    token = csrf_token(client, "/dashboard/settings")
    for bad in ("0", "abc", "99999"):
        response = client.post("/dashboard/settings/queues/UMUM", data=form(token, sla_minutes=bad))
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "isi bilangan bulat 1 sampai 10080" in page
        assert "enter a whole number from 1 to 10080" in page
    session.expire_all()
    assert session.get(Queue, queue.id).sla_seconds == 1800
    assert client.post("/dashboard/settings/queues/UMUM", data=form("")).status_code == 400  # CSRF
    assert client.post("/dashboard/settings/queues/NOPE", data=form(token)).status_code == 404
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "queue_settings_changed")
        )
        == 0
    )


def test_capacity_of_an_agent_is_set_and_audited(session, client, supervisor, agent, make_user):
    stranger = make_user("lain@example.go.id")  # in no queue: not on the page
    assert sign_in(client, supervisor.email).status_code == 302
    page = client.get("/dashboard/settings").get_data(as_text=True)
    assert "Ani Lestari" in page and "lain@example.go.id" not in page
    token = csrf_token(client, "/dashboard/settings")
    path = f"/dashboard/settings/agents/{agent.id}/capacity"
    response = client.post(path, data={"csrf_token": token, "capacity": "8"}, follow_redirects=True)
    assert "Kapasitas Ani Lestari disimpan." in response.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": token, "capacity": "0"}).status_code == 400
    other = f"/dashboard/settings/agents/{stranger.id}/capacity"
    assert client.post(other, data={"csrf_token": token, "capacity": "3"}).status_code == 404
    session.expire_all()
    audit = session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "agent_capacity_changed")
    )
    assert audit.details == {"agent_id": agent.id, "old": 5, "new": 8}


def test_english(session, client, supervisor, late):
    assert sign_in(client, supervisor.email).status_code == 302
    client.set_cookie("lang", "en")
    assert "SLA alerts" in client.get("/dashboard/board").get_data(as_text=True)
    assert "Queue settings" in client.get("/dashboard/settings").get_data(as_text=True)


def test_a_supervisor_sets_her_alert_email(session, client, supervisor):
    assert sign_in(client, supervisor.email).status_code == 302
    page = client.get("/dashboard/settings").get_data(as_text=True)
    assert 'name="alert_email"' in page and "SLA_ALERT_EMAIL_SMTP_URL" in page  # switched off
    token = csrf_token(client, "/dashboard/settings")
    path = "/dashboard/settings/me/alert-email"
    bad = client.post(path, data={"csrf_token": token, "alert_email": "bukan alamat"})
    assert bad.status_code == 400
    assert "Alamat e-mail tidak valid / Invalid e-mail address" in bad.get_data(as_text=True)
    done = client.post(
        path,
        data={"csrf_token": token, "alert_email": "sri.alerts@example.go.id"},
        follow_redirects=True,
    )
    assert "Alamat e-mail peringatan disimpan." in done.get_data(as_text=True)
    session.expire_all()
    assert supervisor.alert_email == "sri.alerts@example.go.id"
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "alert_email_changed"))
    assert audit.actor_id == supervisor.id and audit.details == {"set": True}


def test_the_figures_page_counts_alerts_per_queue(session, client, supervisor, late):
    assert sign_in(client, supervisor.email).status_code == 302
    page = client.get("/dashboard/figures?queue=UMUM").get_data(as_text=True)
    table = page[page.index('id="sla-figures"') :]
    row = table[table.index('<tr data-queue="UMUM">') :]
    link = re.search(r'data-level="80"><a href="([^"]+)">1</a>', row)
    assert link, row[:400]
    drill = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    listed = drill[drill.index('id="sla-history"') :]
    assert f'data-ticket="{late.number}"' in listed and 'data-level="80"' in listed


def test_a_supervisor_sets_her_alert_whatsapp_number_masked(session, client, supervisor):
    assert sign_in(client, supervisor.email).status_code == 302
    token = csrf_token(client, "/dashboard/settings")
    path = "/dashboard/settings/me/alert-whatsapp"
    bad = client.post(path, data={"csrf_token": token, "alert_whatsapp": "12"})
    assert bad.status_code == 400
    assert "Nomor WhatsApp tidak valid / Invalid WhatsApp number" in bad.get_data(as_text=True)
    done = client.post(
        path, data={"csrf_token": token, "alert_whatsapp": "0812-9999-0000"}, follow_redirects=True
    )
    page = done.get_data(as_text=True)
    assert "Nomor WhatsApp peringatan disimpan." in page
    assert "+62812****0000" in page and "81299990000" not in page  # shown masked
    session.expire_all()
    assert supervisor.alert_whatsapp == "+6281299990000"
    audit = session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "alert_whatsapp_changed")
    )
    assert audit.details == {"set": True}  # the number is not written to the audit
    client.post(path, data={"csrf_token": token, "clear": "1"})
    session.expire_all()
    assert supervisor.alert_whatsapp is None


def test_a_supervisor_bound_to_an_office_changes_no_queue_settings(
    session, client, make_user, make_office, queue, agent
):
    """A queue serves every office: its targets are not hers to change (404, nothing changed);
    her agents' capacity is."""
    office = make_office("KC-SCOPE")
    scoped = with_password(make_user("dewi@example.go.id", role="supervisor"))
    set_scope(session, scoped, [office.code])
    session.flush()
    assert sign_in(client, scoped.email).status_code == 302
    page = client.get("/dashboard/settings").get_data(as_text=True)
    assert 'id="queue-UMUM"' not in page and "Ani Lestari" in page
    token = csrf_token(client, "/dashboard/settings")
    answer = client.post("/dashboard/settings/queues/UMUM", data=form(token, sla_minutes="5"))
    assert answer.status_code == 404
    session.expire_all()
    assert session.get(Queue, queue.id).sla_seconds == 1800


def test_the_surge_cap_is_set_in_the_page_and_cleared_by_emptying_it(
    session, client, supervisor, queue
):
    assert sign_in(client, supervisor.email).status_code == 302
    assert 'name="live_capacity"' in client.get("/dashboard/settings").get_data(as_text=True)
    token = csrf_token(client, "/dashboard/settings")
    client.post("/dashboard/settings/queues/UMUM", data=form(token, live_capacity="20"))
    session.expire_all()
    assert session.get(Queue, queue.id).live_capacity == 20
    refused = client.post("/dashboard/settings/queues/UMUM", data=form(token, live_capacity="0"))
    assert refused.status_code == 400
    client.post("/dashboard/settings/queues/UMUM", data=form(token, live_capacity=""))
    session.expire_all()
    assert session.get(Queue, queue.id).live_capacity is None
    changes = [
        e.details["changes"]
        for e in session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "queue_settings_changed")
            .order_by(AuditEvent.id)
        )
    ]
    assert changes == [{"live_capacity": [None, 20]}, {"live_capacity": [20, None]}]
