"""The console's search page (/console/search): what an agent sees — masked numbers, only her
queues' tickets, pages, refusals in her language — and the `/` box in every console page."""

from __future__ import annotations

import re

import pytest

from tests.factories import add_conversation

PHONE = "whatsapp:+6281234567890"


@pytest.fixture
def desk(session, make_queue, make_user, make_office, make_ticket, add_message):
    class Desk:
        a = make_queue("KTP")
        b = make_queue("PAJAK")
        agent_a = make_user("agen.a@example.go.id", queues=[a])
        supervisor = make_user("sup@example.go.id", role="supervisor")
        office = make_office()

    siti = add_conversation(session, Desk.office, PHONE, name="Siti Rahayu")
    Desk.mine = make_ticket(queue=Desk.a, conversation=siti)
    add_message(Desk.mine, body="NIK sy 3174010101010001, no hp 081298765432, mau pindah faskes")
    other = add_conversation(session, Desk.office, "whatsapp:+6285700001111", name="Siti Aminah")
    Desk.theirs = make_ticket(queue=Desk.b, conversation=other)
    add_message(Desk.theirs, body="mau pindah faskes juga")
    return Desk


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-ticket="([^"]+)"', page)


def test_results_show_numbers_and_nik_masked_never_in_full(client_as, desk):
    client = client_as(desk.agent_a)
    page = client.get("/console/search?q=faskes&field=text").get_data(as_text=True)
    assert rows(page) == [desk.mine.number]
    assert "Siti Rahayu" in page
    assert "+62812****7890" in page
    assert "6281234567890" not in page
    # the matching message is shown, its NIK and phone number masked
    assert "mau pindah faskes" in page
    assert "3174********0001" in page and "3174010101010001" not in page
    assert "081298765432" not in page


def test_searching_by_phone_digits_shows_the_number_masked(client_as, desk):
    page = client_as(desk.agent_a).get("/console/search?q=0812-3456").get_data(as_text=True)
    assert rows(page) == [desk.mine.number]
    assert "6281234567890" not in page and "+62812****7890" in page


def test_agent_cannot_find_another_queues_ticket(client_as, desk):
    client = client_as(desk.agent_a)
    for query in (
        f"q={desk.theirs.number}",
        "q=Aminah",
        "q=1111&field=phone",
        "q=juga&field=text",
        "status=waiting",
    ):
        page = client.get(f"/console/search?{query}").get_data(as_text=True)
        assert desk.theirs.number not in rows(page), query
    supervisor = client_as(desk.supervisor)
    page = supervisor.get("/console/search?q=siti").get_data(as_text=True)
    assert set(rows(page)) == {desk.mine.number, desk.theirs.number}


def test_pages_link_older_and_newer(client_as, desk, make_ticket, add_message):
    for _ in range(25):
        add_message(make_ticket(queue=desk.a), body="surat keterangan")
    client = client_as(desk.agent_a)
    first = client.get("/console/search?q=keterangan&field=text").get_data(as_text=True)
    assert len(rows(first)) == 20
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older and 'rel="prev"' not in first
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(rows(second)) == 5
    assert not set(rows(second)) & set(rows(first))
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "q=keterangan" in older.group(1) and "field=text" in older.group(1)


def test_filters_by_status_and_dates_kept_in_the_form(client_as, desk):
    client = client_as(desk.supervisor)
    page = client.get("/console/search?status=resolved&from=2026-12-01&to=2026-12-01").get_data(
        as_text=True
    )
    assert rows(page) == []
    assert "Tidak ada tiket yang cocok" in page
    assert 'value="resolved" checked' in page and 'value="2026-12-01"' in page
    page = client.get("/console/search?status=waiting&from=2026-12-01").get_data(as_text=True)
    assert set(rows(page)) == {desk.mine.number, desk.theirs.number}
    page = client.get("/console/search?status=waiting&to=2026-11-30").get_data(as_text=True)
    assert rows(page) == []


@pytest.mark.parametrize(
    ("query", "indonesian", "english"),
    [
        ("q=ab", "minimal 3 karakter", "at least 3 characters"),
        ("from=2026-12-05&to=2026-12-01", "setelah tanggal akhir", "after the end date"),
        ("from=kemarin", "Tanggal tidak valid", "Invalid date"),
    ],
)
def test_refusals_say_why_in_the_users_language(client_as, desk, query, indonesian, english):
    client = client_as(desk.agent_a)
    response = client.get(f"/console/search?{query}")
    assert response.status_code == 200
    assert indonesian in response.get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert english in client.get(f"/console/search?{query}").get_data(as_text=True)


def test_search_text_is_escaped(client_as, desk):
    page = client_as(desk.agent_a).get("/console/search?q=<script>alert(1)</script>")
    text = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_needs_sign_in(client, session):
    response = client.get("/console/search?q=siti")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_console_page_has_the_slash_search_box(client_as, desk):
    client = client_as(desk.agent_a)
    for path in ("/console", f"/console/tickets/{desk.mine.number}", "/console/search"):
        page = client.get(path).get_data(as_text=True)
        assert 'id="shell-search"' in page and 'aria-keyshortcuts="/"' in page, path
        assert 'action="/console/search"' in page
    search = client.get("/console/search").get_data(as_text=True)
    assert 'data-search-box="main"' in search and "autofocus" in search
    assert "Tekan / dari halaman konsol mana pun" in search


def test_a_search_by_phone_digits_is_audited_without_the_digits(client_as, desk, session):
    """Digits typed beyond the four shown could find the hidden ones: each such search leaves
    an access-audit row (who, when, how many digits, how many tickets), never the digits."""
    import sqlalchemy as sa

    from pandawa.audit.models import AuditEvent

    def audited() -> list[AuditEvent]:
        stmt = sa.select(AuditEvent).where(AuditEvent.action == "phone_search")
        return list(session.scalars(stmt))

    client = client_as(desk.agent_a)
    client.get("/console/search?q=Rahayu")
    client.get("/console/search?q=faskes&field=text")
    assert audited() == []
    client.get("/console/search?q=0812-3456")
    (event,) = audited()
    assert event.actor_id == desk.agent_a.id and event.field == "phone"
    assert event.details == {"digits": 9, "results": 1}
    assert "3456" not in str(event.details) and "3456" not in (event.ticket_number or "")
