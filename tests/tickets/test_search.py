"""The ticket search (pandawa/tickets/search.py) on real PostgreSQL rows: each field, dates and
status, an agent's sight, keyset pages; and the embedded default (SQLite) with its LIKE."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandawa.core.extensions import db
from pandawa.tickets.models import Ticket
from pandawa.tickets.search import (
    SearchError,
    SearchQuery,
    day_range,
    phone_digits,
    resolve_field,
    search_tickets,
)
from tests.factories import add_conversation


@pytest.fixture
def desk(session, make_queue, make_user, make_office, make_ticket, add_message):
    """Two queues; an agent of each and a supervisor; tickets of known citizens."""

    class Desk:
        a = make_queue("KTP")
        b = make_queue("PAJAK")
        agent_a = make_user(queues=[a])
        agent_b = make_user(queues=[b])
        supervisor = make_user(role="supervisor")
        office = make_office()

    def ticket(queue, address, name, *bodies, status="waiting"):
        conversation = add_conversation(session, Desk.office, address, name=name)
        made = make_ticket(queue=queue, conversation=conversation, status=status)
        for body in bodies:
            add_message(made, body=body)
        return made

    Desk.siti = ticket(
        Desk.a, "whatsapp:+6281234567890", "Siti Rahayu", "gmn cara pindah faskes ya min"
    )
    Desk.budi = ticket(
        Desk.a, "whatsapp:+6285711112222", "Budi Santoso", "kartu jkn sy hilang", status="resolved"
    )
    Desk.made = ticket(Desk.b, "whatsapp:+6281398765432", "I Made Wirawan", "mau bayar pajak")
    return Desk


def numbers(page) -> list[str]:
    return [hit.ticket.number for hit in page.hits]


def find(user, **query) -> list[str]:
    return numbers(search_tickets(db.session, user, SearchQuery(**query)))


def test_by_ticket_number_whole_or_part_any_case(desk):
    sup = desk.supervisor
    assert find(sup, text=desk.siti.number, field="number") == [desk.siti.number]
    assert find(sup, text=desk.budi.number[-5:].lower(), field="number") == [desk.budi.number]
    # "all" recognises a ticket number
    assert find(sup, text=desk.made.number) == [desk.made.number]


def test_by_part_of_a_phone_number_last_digits_or_local_form(desk):
    sup = desk.supervisor
    assert find(sup, text="7890", field="phone") == [desk.siti.number]
    assert find(sup, text="0812-3456", field="phone") == [desk.siti.number]
    assert find(sup, text="+62 857 1111", field="phone") == [desk.budi.number]
    assert find(sup, text="1111 2222") == [desk.budi.number]  # digits alone: "all" → phone
    assert find(sup, text="4242", field="phone") == []


def test_last_four_digits_starting_with_zero_are_the_end_of_a_number_too(
    desk, session, make_ticket
):
    """ "0856" may be the local start of a number (+62 856…) or its last four digits (…0856):
    both are found (the end of one was missed when 0 was always read as +62; a browser test
    citizen with such a number showed it)."""
    conversation = add_conversation(session, desk.office, "whatsapp:+6281200000856", name="Ani")
    ani = make_ticket(queue=desk.a, conversation=conversation)
    sup = desk.supervisor
    assert find(sup, text="0856", field="phone") == [ani.number]
    assert find(sup, text="0856") == [ani.number]  # "all": digits search numbers
    assert find(sup, text="0857", field="phone") == [desk.budi.number]  # +62 857… still


def test_by_name_any_part_any_case(desk):
    sup = desk.supervisor
    assert find(sup, text="rahayu", field="name") == [desk.siti.number]
    assert find(sup, text="SANT", field="name") == [desk.budi.number]
    assert find(sup, text="made wira") == [desk.made.number]


def test_by_message_words_as_written_and_prefixes(desk):
    sup = desk.supervisor
    assert find(sup, text="faskes", field="text") == [desk.siti.number]
    assert find(sup, text="gmn pindah", field="text") == [desk.siti.number]
    assert find(sup, text="KARTU hilang", field="text") == [desk.budi.number]
    # whole words by default; a trailing * asks for a prefix
    assert find(sup, text="fask", field="text") == []
    assert find(sup, text="fask*", field="text") == [desk.siti.number]
    # every word must be in the same message
    assert find(sup, text="faskes pajak", field="text") == []


def test_words_found_in_any_message_of_the_ticket_and_snippet_shows_it(desk, add_message):
    add_message(desk.made, "out", "Pajak kendaraan dapat dibayar di Samsat", author=desk.agent_b)
    page = search_tickets(db.session, desk.supervisor, SearchQuery(text="samsat", field="text"))
    assert numbers(page) == [desk.made.number]
    assert page.hits[0].snippet == "Pajak kendaraan dapat dibayar di Samsat"


def test_agent_finds_only_tickets_of_her_queues(desk):
    # agent A cannot find agent B's queue's ticket, whatever she searches by
    for query in (
        {"text": desk.made.number, "field": "number"},
        {"text": "5432", "field": "phone"},
        {"text": "Wirawan", "field": "name"},
        {"text": "pajak", "field": "text"},
        {"text": "Wirawan"},
        {"statuses": ("waiting",)},
    ):
        assert desk.made.number not in find(desk.agent_a, **query), query
        assert desk.made.number in find(desk.agent_b, **query), query
    assert find(desk.agent_a, statuses=("waiting",)) == [desk.siti.number]


def test_status_and_date_range(desk, clock):
    sup = desk.supervisor
    assert set(find(sup, statuses=("waiting",))) == {desk.siti.number, desk.made.number}
    assert find(sup, statuses=("resolved",)) == [desk.budi.number]
    # tickets are created at the test clock's instant: 1 December 2026, 10:00 WIB
    desk.budi.created_at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    db.session.flush()
    start, end = day_range(date(2026, 11, 20), date(2026, 11, 20))
    assert find(sup, created_from=start, created_to=end) == [desk.budi.number]
    start, end = day_range(date(2026, 12, 1), None)
    assert set(find(sup, created_from=start)) == {desk.siti.number, desk.made.number}
    start, end = day_range(None, date(2026, 11, 30))
    assert find(sup, created_to=end, text="budi") == [desk.budi.number]


def test_day_range_is_the_local_calendar_day():
    start, end = day_range(date(2026, 12, 1), date(2026, 12, 1))
    assert start == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def test_keyset_pages_newest_first_both_ways(desk, make_ticket, add_message):
    made = [make_ticket(queue=desk.a) for _ in range(7)]
    for ticket in made:
        add_message(ticket, body="mohon bantuan surat keterangan")
    expected = [t.number for t in sorted(made, key=lambda t: t.id, reverse=True)]
    query = SearchQuery(text="keterangan", field="text")
    user = desk.agent_a

    first = search_tickets(db.session, user, query, limit=3)
    assert numbers(first) == expected[:3]
    assert first.newer_than is None and first.older_than is not None
    second = search_tickets(db.session, user, query, older_than=first.older_than, limit=3)
    assert numbers(second) == expected[3:6]
    third = search_tickets(db.session, user, query, older_than=second.older_than, limit=3)
    assert numbers(third) == expected[6:]
    assert third.older_than is None and third.newer_than is not None
    back = search_tickets(db.session, user, query, newer_than=second.newer_than, limit=3)
    assert numbers(back) == expected[:3]
    assert back.newer_than is None and back.older_than is not None


def test_a_page_is_a_fixed_number_of_statements_however_many_rows(
    desk, make_ticket, add_message, app
):
    from tests.statements import statements_sent

    def count() -> int:
        with statements_sent(db.engine) as sent:
            search_tickets(db.session, desk.supervisor, SearchQuery(text="faskes"))
        return len(sent)

    count()  # the first search of a process reads which words are common
    # the tickets holding a rare word, the page with contacts, the matching messages
    assert count() == 3
    for _ in range(15):
        add_message(make_ticket(queue=desk.a), body="halo faskes")
    assert count() == 3


def test_newest_created_first_and_pages_follow_that_order(desk, make_ticket, add_message):
    """A ticket imported or reopened late may have a higher id and an older date: the order is
    by creation, the pages follow it."""
    made = [make_ticket(queue=desk.a) for _ in range(4)]
    for days, ticket in zip((1, 3, 2, 4), made, strict=True):
        ticket.created_at = datetime(2026, 11, 30, 3, 0, tzinfo=UTC) - timedelta(days=days)
        add_message(ticket, body="antrean panjang")
    db.session.flush()
    expected = [made[0].number, made[2].number, made[1].number, made[3].number]
    query = SearchQuery(text="antrean", field="text")
    first = search_tickets(db.session, desk.agent_a, query, limit=2)
    assert numbers(first) == expected[:2]
    second = search_tickets(db.session, desk.agent_a, query, older_than=first.older_than, limit=2)
    assert numbers(second) == expected[2:]
    back = search_tickets(db.session, desk.agent_a, query, newer_than=second.newer_than, limit=2)
    assert numbers(back) == expected[:2]
    gone = search_tickets(db.session, desk.agent_a, query, older_than=10**9, limit=2)
    assert numbers(gone) == expected[:2]


@pytest.mark.parametrize("path", ["rare", "common", "capped"])
def test_common_and_rare_words_find_the_same_tickets(
    desk, make_ticket, add_message, path, monkeypatch
):
    """A word the statistics call common is found by walking the tickets newest first; a rare
    one through the tickets looked up first; past the cap, the walk again: the same answer."""
    from pandawa.tickets import words

    made = [make_ticket(queue=desk.a) for _ in range(4)]
    for ticket in made:
        add_message(ticket, body="mohon info puskesmas terdekat")
    if path == "common":
        monkeypatch.setattr(words, "common_words", lambda _session: {"puskesmas": 0.2})
    if path == "capped":
        monkeypatch.setattr(words, "RARE_CAP", 2)
    expected = [t.number for t in sorted(made, key=lambda t: t.id, reverse=True)]
    assert find(desk.agent_a, text="puskesmas", field="text") == expected
    assert find(desk.agent_a, text="Puskesmas terdekat") == expected


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (SearchQuery(text="ab"), "too_short"),
        (SearchQuery(text="12", field="phone"), "too_short"),
        (SearchQuery(text="a b", field="text"), "too_short"),
        (SearchQuery(text="x" * 101), "too_long"),
        (SearchQuery(text="siti", field="nik"), "unknown_field"),
        (SearchQuery(statuses=("open",)), "unknown_status"),
    ],
)
def test_refused_queries_say_why(desk, query, code):
    with pytest.raises(SearchError) as refused:
        search_tickets(db.session, desk.supervisor, query)
    assert refused.value.code == code


def test_like_wildcards_typed_are_literal(desk):
    assert find(desk.supervisor, text="%%%", field="name") == []
    assert find(desk.supervisor, text="___", field="name") == []


@given(st.text(max_size=40))
def test_phone_digits_are_digits_only_in_the_stored_form(text):
    digits = phone_digits(text)
    assert digits == "" or (digits.isascii() and digits.isdigit())
    assert not digits.startswith("08")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_is_searched_or_refused_never_an_error(session, desk, text):
    try:
        search_tickets(db.session, desk.supervisor, SearchQuery(text=text))
    except SearchError:
        pass


def test_all_resolves_what_the_text_looks_like():
    assert resolve_field(SearchQuery(text="PDW-261201-7KQ2MX")) == "number"
    assert resolve_field(SearchQuery(text="7kq2mx")) == "number"
    assert resolve_field(SearchQuery(text="0812 3456")) == "digits"
    assert resolve_field(SearchQuery(text="siti rahayu")) == "all"
    assert resolve_field(SearchQuery(text="7890", field="name")) == "name"


def test_on_the_embedded_default_sqlite_with_like(sqlite_app, clock):
    """`pandawa dev` on SQLite: no trigram or full-text index there, the same answers."""
    from pandawa.accounts.models import User
    from pandawa.channels.models import Message
    from pandawa.hours.models import Office
    from pandawa.tickets.models import Queue

    with sqlite_app.app_context():
        session = db.session
        at = clock.now()
        office = Office(
            code="OFF", name="Kantor", whatsapp_address="whatsapp:+6281100000000",
            timezone="Asia/Jakarta", weekly_hours={}, updated_at=at,
        )  # fmt: skip
        mine, theirs = (
            Queue(code="A", name_id="A", name_en="A"),
            Queue(code="B", name_id="B", name_en="B"),
        )
        session.add_all([office, mine, theirs])
        session.flush()
        agent = User(email="a@example.go.id", name="A", role="agent", created_at=at)
        agent.queues = [mine]
        session.add(agent)
        tickets = []
        for queue, address, name, body in (
            (mine, "whatsapp:+6281234567890", "Siti Rahayu", "gmn cara pindah faskes"),
            (theirs, "whatsapp:+6285711112222", "Siti Aminah", "faskes penuh"),
        ):
            conversation = add_conversation(session, office, address, name=name)
            ticket = Ticket(
                number=f"PDW-261201-{queue.code}{queue.code}2345", office_id=office.id,
                queue_id=queue.id, conversation_id=conversation.id,
                contact_id=conversation.contact_id, status="waiting", details={},
                created_at=at, released_at=at, updated_at=at,
            )  # fmt: skip
            session.add(ticket)
            session.flush()
            session.add(
                Message(
                    direction="in", provider="twilio", sender=address,
                    recipient=office.whatsapp_address, body=body, status="received",
                    conversation_id=conversation.id, ticket_id=ticket.id, media=[], extra={},
                    created_at=at, updated_at=at,
                )
            )  # fmt: skip
            tickets.append(ticket)
        session.commit()

        def found(user, **query):
            return numbers(search_tickets(session, user, SearchQuery(**query)))

        assert found(agent, text="FASKES", field="text") == [tickets[0].number]
        assert found(agent, text="siti") == [tickets[0].number]
        assert found(agent, text="7890", field="phone") == [tickets[0].number]
        assert found(agent, text="aa23", field="number") == [tickets[0].number]
        assert found(agent, text="aminah") == []  # queue B: not hers
        query = SearchQuery(statuses=("waiting",))
        older = search_tickets(session, agent, query, older_than=tickets[0].id)
        newer = search_tickets(session, agent, query, newer_than=tickets[0].id - 1)
        assert numbers(older) == [] and numbers(newer) == [tickets[0].number]
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2
        session.remove()


def test_no_index_on_sqlite_and_all_on_postgresql(session, sqlite_app):
    expected = {
        "ix_contact_name_trgm", "ix_contact_address_trgm", "ix_ticket_number_trgm",
        "ix_message_body_fts",
    }  # fmt: skip
    found = set(
        session.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"),
                        {"names": list(expected)})
    )  # fmt: skip
    assert found == expected
    with sqlite_app.app_context():
        names = {
            row[0]
            for row in db.session.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")
            )
        }
        assert not names & expected
        db.session.remove()
