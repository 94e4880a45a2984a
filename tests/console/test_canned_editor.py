"""The canned-response editor (/console/canned) and the answers on the ticket page: who may
edit what, the form's refusals, preview, retire/restore, the audit trail, and the reply box
offering the active answers of the ticket's queue and the global ones, filled in."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.tickets.canned.models import CannedResponse
from pandawa.tickets.models import Queue
from tests.harness import csrf_token

HOURS = "Senin–Jumat pukul 08.00–15.00 WIB"  # the test offices' hours (tests/factories.py)


@pytest.fixture
def shop(session, make_queue, make_user, client_as):
    """Two queues, an agent and a supervisor of KTP, a supervisor of KK, an admin; no answers
    but the test's own (the shipped ones are deleted inside the test's transaction)."""
    session.execute(sa.delete(CannedResponse))
    ktp, kk = make_queue("KTP"), make_queue("KK")

    return SimpleNamespace(
        ktp=ktp,
        kk=kk,
        agent=make_user("agen@example.go.id", queues=[ktp]),
        sup_ktp=make_user("sup.ktp@example.go.id", role="supervisor", queues=[ktp]),
        sup_kk=make_user("sup.kk@example.go.id", role="supervisor", queues=[kk]),
        admin=make_user("admin@example.go.id", role="admin"),
        client_as=client_as,
    )


def post_form(client, path, **fields):
    token = csrf_token(client, "/console/canned/new" if "/new" in path else "/console")
    return client.post(path, data={"csrf_token": token, **fields})


def create(client, queue="KTP", title="Sapaan", body="Halo {nama}", language="id", **extra):
    return post_form(
        client,
        "/console/canned/new",
        queue=queue,
        language=language,
        title=title,
        body=body,
        action="save",
        **extra,
    )


def rows():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.id)))


def audit(action):
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# -- roles -------------------------------------------------------------------------------------
def test_signed_out_goes_to_sign_in(client, shop):
    response = client.get("/console/canned")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_agent_cannot_open_or_post_to_the_editor(shop):
    agent = shop.client_as(shop.agent)
    page = agent.get("/console/canned")
    assert page.status_code == 403
    assert "Akses ditolak" in page.get_data(as_text=True)
    assert agent.get("/console/canned/new").status_code == 403
    assert create(agent).status_code == 403
    assert rows() == []
    # and the header shows agents no link to it
    assert 'id="nav-canned"' not in agent.get("/console").get_data(as_text=True)


def test_a_supervisor_sees_the_link(shop):
    page = shop.client_as(shop.sup_ktp).get("/console").get_data(as_text=True)
    assert 'id="nav-canned"' in page and "Jawaban siap pakai" in page


# -- create, edit, retire, restore ---------------------------------------------------------------
def test_a_supervisor_creates_an_answer_for_their_queue(shop):
    sup = shop.client_as(shop.sup_ktp)
    response = create(sup, title="Berkas lengkap", body="Terima kasih {nama}, berkas lengkap.")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/canned?queue=KTP")
    [row] = rows()
    assert (row.queue_id, row.language, row.title) == (shop.ktp.id, "id", "Berkas lengkap")
    assert row.created_by_id == row.updated_by_id == shop.sup_ktp.id and row.retired_at is None
    [event] = audit("canned_created")
    assert event.actor_id == shop.sup_ktp.id
    assert event.details == {
        "canned_id": row.id,
        "title": "Berkas lengkap",
        "queue": "KTP",
        "language": "id",
    }
    page = sup.get(response.headers["Location"]).get_data(as_text=True)
    assert "Jawaban \u201cBerkas lengkap\u201d disimpan." in page
    assert f'id="canned-{row.id}" class="active"' in page


def test_edit_changes_the_text_and_audits_what_changed(shop):
    sup = shop.client_as(shop.sup_ktp)
    create(sup, body="Halo {nama}")
    [row] = rows()
    form = sup.get(f"/console/canned/{row.id}").get_data(as_text=True)
    assert ">Halo {nama}</textarea>" in form
    response = post_form(
        sup,
        f"/console/canned/{row.id}",
        queue="KTP",
        language="id",
        title="Sapaan",
        body="Selamat siang {nama}, tiket {nomor_tiket}.",
        action="save",
    )
    assert response.status_code == 302
    [row] = rows()
    assert row.body == "Selamat siang {nama}, tiket {nomor_tiket}."
    [event] = audit("canned_updated")
    assert event.details["changed"] == ["body"] and event.actor_id == shop.sup_ktp.id
    # saving the same values again writes nothing and audits nothing
    post_form(
        sup,
        f"/console/canned/{row.id}",
        queue="KTP",
        language="id",
        title="Sapaan",
        body=row.body,
        action="save",
    )
    assert len(audit("canned_updated")) == 1


def test_retire_and_restore(shop, make_ticket):
    sup = shop.client_as(shop.sup_ktp)
    create(sup, title="Sapaan")
    [row] = rows()
    ticket = make_ticket(queue=shop.ktp, status="assigned", assignee=shop.agent)
    agent = shop.client_as(shop.agent)
    assert "Sapaan" in agent.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)

    assert post_form(sup, f"/console/canned/{row.id}/retire").status_code == 302
    assert rows()[0].retired_at is not None
    assert "Sapaan" not in agent.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    listing = sup.get("/console/canned").get_data(as_text=True)
    assert f'id="canned-{row.id}" class="retired"' in listing and "Aktifkan kembali" in listing

    assert post_form(sup, f"/console/canned/{row.id}/restore").status_code == 302
    assert rows()[0].retired_at is None
    assert "Sapaan" in agent.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert [e.details["canned_id"] for e in audit("canned_retired")] == [row.id]
    assert [e.details["canned_id"] for e in audit("canned_restored")] == [row.id]
    # retiring twice is one act, audited once
    post_form(sup, f"/console/canned/{row.id}/retire")
    post_form(sup, f"/console/canned/{row.id}/retire")
    assert len(audit("canned_retired")) == 2


def test_a_form_without_the_csrf_token_is_refused(shop):
    sup = shop.client_as(shop.sup_ktp)
    response = sup.post(
        "/console/canned/new", data={"queue": "KTP", "title": "x", "body": "y", "action": "save"}
    )
    assert response.status_code == 400 and rows() == []


# -- validation --------------------------------------------------------------------------------
def errors_of(page: str) -> list[str]:
    block = re.search(r'<div class="canned-errors".*?</div>', page, re.S)
    assert block, "no error block"
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block.group(0))]


def test_an_unknown_variable_is_refused_and_the_form_keeps_its_values(shop):
    sup = shop.client_as(shop.sup_ktp)
    response = create(sup, title="Salam <b>hangat</b>", body="Halo {nma}, tiket {nomor_tiket}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    [message] = errors_of(page)
    assert message.startswith("Variabel {nma} tidak dikenal")
    assert "/ Unknown variable {nma}" in message
    # the values come back, escaped
    assert 'value="Salam &lt;b&gt;hangat&lt;/b&gt;"' in page
    assert ">Halo {nma}, tiket {nomor_tiket}</textarea>" in page
    assert '<option value="KTP" selected>' in page
    assert rows() == [] and audit("canned_created") == []


def test_broken_braces_and_an_empty_title_are_refused(shop):
    sup = shop.client_as(shop.sup_ktp)
    response = create(sup, title="  ", body="Halo {nama")
    assert response.status_code == 422
    messages = errors_of(response.get_data(as_text=True))
    assert messages[0] == "Judul wajib diisi. / The title is required."
    assert messages[1].startswith("Kurung kurawal tidak berpasangan (karakter ke-6)")
    assert "/ Unmatched brace (character 6)" in messages[1]
    assert rows() == []


def test_an_edit_with_a_mistake_changes_nothing(shop):
    sup = shop.client_as(shop.sup_ktp)
    create(sup, body="Halo {nama}")
    [row] = rows()
    response = post_form(
        sup,
        f"/console/canned/{row.id}",
        queue="KTP",
        language="id",
        title="Sapaan",
        body="Halo {nama}}",
        action="save",
    )
    assert response.status_code == 422
    assert ">Halo {nama}}</textarea>" in response.get_data(as_text=True)
    assert rows()[0].body == "Halo {nama}" and audit("canned_updated") == []


# -- scope -------------------------------------------------------------------------------------
def test_a_supervisor_of_another_queue_cannot_edit(shop):
    create(shop.client_as(shop.sup_ktp), title="Sapaan KTP")
    [row] = rows()
    other = shop.client_as(shop.sup_kk)
    assert other.get(f"/console/canned/{row.id}").status_code == 404
    edit = post_form(
        other, f"/console/canned/{row.id}", queue="KK", title="diambil", body="x", action="save"
    )
    assert edit.status_code == 404
    assert post_form(other, f"/console/canned/{row.id}/retire").status_code == 404
    assert create(other, queue="KTP").status_code == 403  # a queue the form never offers
    assert other.get("/console/canned?queue=KTP").status_code == 404
    listing = other.get("/console/canned").get_data(as_text=True)
    assert "Sapaan KTP" not in listing
    [row] = rows()
    assert (row.title, row.retired_at, row.queue_id) == ("Sapaan KTP", None, shop.ktp.id)
    assert audit("canned_updated") == audit("canned_retired") == []


def test_global_answers_are_for_admins_and_supervisors_of_every_queue(shop, make_user):
    assert create(shop.client_as(shop.sup_ktp), queue="*").status_code == 403
    assert create(shop.client_as(shop.admin), queue="*", title="Umum").status_code == 302
    [row] = rows()
    assert row.queue_id is None
    # a supervisor of KTP sees it, read only
    listing = shop.client_as(shop.sup_ktp).get("/console/canned").get_data(as_text=True)
    assert "Umum" in listing and "Hanya dapat dibaca" in listing
    assert shop.client_as(shop.sup_ktp).get(f"/console/canned/{row.id}").status_code == 404
    # one who is a member of every active queue may change it
    every = list(db.session.scalars(sa.select(Queue).where(Queue.is_active.is_(True))))
    boss = make_user("sup.semua@example.go.id", role="supervisor", queues=every)
    assert post_form(shop.client_as(boss), f"/console/canned/{row.id}/retire").status_code == 302
    assert rows()[0].retired_at is not None


# -- preview -----------------------------------------------------------------------------------
def preview(client, body, ticket="", language="id"):
    return post_form(
        client,
        "/console/canned/new",
        queue="KTP",
        language=language,
        title="Sapaan",
        body=body,
        ticket=ticket,
        action="preview",
    )


def preview_text(page: str) -> str:
    match = re.search(r'id="canned-preview-text">(.*?)</div>', page, re.S)
    assert match, "no preview"
    return html.unescape(match.group(1))


def test_preview_fills_the_example_and_saves_nothing(shop, make_office):
    make_office()  # the first office gives {kantor} and {jam_buka}... unless one exists already
    first = db.session.scalar(sa.select(sa.text("name FROM office ORDER BY id LIMIT 1")))
    response = preview(
        shop.client_as(shop.sup_ktp), "Halo {nama}, tiket {nomor_tiket} di {kantor}: {jam_buka}."
    )
    assert response.status_code == 200
    text = preview_text(response.get_data(as_text=True))
    assert text.startswith("Halo Budi Santoso, tiket PDW-261201-7KQ2MX di " + first + ": ")
    assert rows() == []


def test_preview_with_a_ticket_uses_its_values(shop, make_ticket):
    ticket = make_ticket(queue=shop.kk)
    page = preview(
        shop.client_as(shop.sup_ktp), "Halo {nama}, tiket {nomor_tiket}.", ticket=ticket.number
    ).get_data(as_text=True)
    assert preview_text(page) == f"Halo Siti Rahayu, tiket {ticket.number}."
    assert f"Diisi dengan data tiket {ticket.number}." in page


def test_preview_reports_variable_mistakes_and_an_unknown_ticket(shop):
    page = preview(shop.client_as(shop.sup_ktp), "Halo {nma}", ticket="PDW-000000-XXXXXX")
    body = page.get_data(as_text=True)
    assert errors_of(body)[0].startswith("Variabel {nma} tidak dikenal")
    assert "Tiket PDW-000000-XXXXXX tidak ditemukan" in body
    assert preview_text(body) == "Halo {nma}"  # shown as written: nothing is guessed


def test_preview_escapes_the_text(shop):
    page = preview(shop.client_as(shop.sup_ktp), "<script>alert(1)</script> {nama}")
    body = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Budi Santoso" in body


# -- the ticket page ---------------------------------------------------------------------------
def add(queue, title, body, *, language="id", retired=False):
    at = now()
    row = CannedResponse(
        queue_id=queue.id if queue else None,
        language=language,
        title=title,
        body=body,
        created_at=at,
        updated_at=at,
        retired_at=at if retired else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def offered(page: str) -> list[tuple[str, str]]:
    found = re.findall(r'data-canned="([^"]*)" data-target="reply-body">([^<]*)</button>', page)
    return [(html.unescape(title), html.unescape(body)) for body, title in found]


def test_the_ticket_page_offers_active_answers_of_its_queue_and_global_ones(shop, make_ticket):
    add(shop.ktp, "KTP hilang", "Bapak/Ibu {nama}, tiket {nomor_tiket} di {kantor}.")
    add(shop.ktp, "Lama", "tidak dipakai lagi", retired=True)
    add(shop.kk, "KK baru", "untuk antrean KK")
    add(None, "Jam layanan", "Kami buka {jam_buka}.")
    add(None, "Opening hours", "We are open {jam_buka}.", language="en")
    add(None, "Lama umum", "retired", retired=True)
    ticket = make_ticket(queue=shop.ktp, status="assigned", assignee=shop.agent)
    page = shop.client_as(shop.agent).get(f"/console/tickets/{ticket.number}")
    assert offered(page.get_data(as_text=True)) == [
        ("KTP hilang", f"Bapak/Ibu Siti Rahayu, tiket {ticket.number} di Kantor Cabang Uji."),
        ("Jam layanan", f"Kami buka {HOURS}."),
        ("Opening hours (EN)", "We are open Monday–Friday 08:00–15:00 WIB."),
    ]


def test_an_english_speaking_citizen_gets_english_answers_first(shop, make_ticket):
    add(None, "Jam layanan", "Kami buka {jam_buka}.")
    add(None, "Opening hours", "{nama}, we are open {jam_buka}.", language="en")
    ticket = make_ticket(queue=shop.ktp, status="assigned", assignee=shop.agent)
    db.session.get(Contact, ticket.contact_id).language = "en"
    db.session.flush()
    page = shop.client_as(shop.agent).get(f"/console/tickets/{ticket.number}")
    assert [title for title, _ in offered(page.get_data(as_text=True))] == [
        "Opening hours",
        "Jam layanan (ID)",
    ]


def test_answers_are_escaped_on_the_ticket_page(shop, make_ticket):
    add(shop.ktp, '"><script>alert(1)</script>', 'Halo" onclick="alert(1) {nama}')
    ticket = make_ticket(queue=shop.ktp, status="assigned", assignee=shop.agent)
    page = (
        shop.client_as(shop.agent).get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    )
    assert "<script>alert(1)</script>" not in page and 'onclick="alert' not in page
    assert offered(page) == [('"><script>alert(1)</script>', 'Halo" onclick="alert(1) Siti Rahayu')]


def test_the_reply_sends_what_the_answer_filled_in(shop, make_ticket):
    """What the agent inserts is what the citizen gets: the filled text, posted as the reply."""
    add(shop.ktp, "Selesai", "Terima kasih {nama}, tiket {nomor_tiket} selesai.")
    ticket = make_ticket(queue=shop.ktp, status="assigned", assignee=shop.agent)
    agent = shop.client_as(shop.agent)
    path = f"/console/tickets/{ticket.number}"
    [(_, body)] = offered(agent.get(path).get_data(as_text=True))
    token = csrf_token(agent, path)
    assert agent.post(f"{path}/reply", data={"csrf_token": token, "body": body}).status_code == 302
    sent = db.session.scalar(
        sa.select(Message.body).where(Message.ticket_id == ticket.id, Message.direction == "out")
    )
    assert sent == f"Terima kasih Siti Rahayu, tiket {ticket.number} selesai."
