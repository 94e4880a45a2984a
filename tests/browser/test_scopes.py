"""Scope enforcement in the browser (issue 17), against the real stack: a supervisor bound to
the Jakarta office sees, on the live board, only her office and its tickets' counts, her figures
count her office's tickets only, and the drill-down of another office is a 404 page — though
that office has a ticket waiting in the very same queue."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue, Ticket
from pandawa.tickets.scopes.operations import set_scope
from tests.browser.helpers import PASSWORD, make_agent, shot
from tests.factories import add_conversation
from tests.stack import Stack, citizen, open_ticket_as

pytestmark = pytest.mark.e2e
OTHER = "SBY-UJI"
WEEKDAYS = {day: [["08:00", "15:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def other_office(stack: Stack) -> Iterator[str]:
    """A second office (the stack keeps the catalogue's offices between tests, so it is removed
    afterwards: requested before `e2e`, its teardown runs after e2e has emptied the tickets)."""
    with stack.app.app_context():
        office = Office(
            code=OTHER,
            name="Kantor Cabang Surabaya (uji)",
            whatsapp_address="whatsapp:+6281100009999",
            timezone="Asia/Jakarta",
            weekly_hours={**WEEKDAYS, "sat": [], "sun": []},
            updated_at=now(),
        )
        db.session.add(office)
        db.session.commit()
        db.session.remove()
    yield OTHER
    with stack.app.app_context():
        db.session.execute(sa.delete(Office).where(Office.code == OTHER))
        db.session.commit()
        db.session.remove()


def waiting_ticket_at(stack: Stack, office_code: str, queue_code: str) -> str:
    with stack.app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        queue = db.session.scalar(sa.select(Queue).where(Queue.code == queue_code))
        conversation = add_conversation(db.session, office, citizen())
        at = now()
        ticket = Ticket(
            number=f"PDW-SBY-{secrets.token_hex(3).upper()}",
            office_id=office.id,
            queue_id=queue.id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            status="waiting",
            details={},
            created_at=at,
            released_at=at,
            updated_at=at,
        )
        db.session.add(ticket)
        db.session.commit()
        number = ticket.number
        db.session.remove()
    return number


def scoped_supervisor(stack: Stack, office_code: str) -> str:
    email = make_agent(stack, [], role="supervisor")
    with stack.app.app_context():
        from pandawa.accounts.operations import find_user

        user = find_user(db.session, email)
        set_scope(db.session, user, [office_code], actor_label="cli", address="cli")
        db.session.commit()
        db.session.remove()
    return email


def test_a_scoped_supervisor_sees_only_her_office(other_office, e2e, fake_twilio, page: Page):
    mine, queue_code = open_ticket_as(e2e, fake_twilio, citizen())  # JKT-PUSAT, the catalogue's
    theirs = waiting_ticket_at(e2e, other_office, queue_code)  # same queue, another office
    email = scoped_supervisor(e2e, "JKT-PUSAT")

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(r"/dashboard/?$"))

    expect(page.locator("[data-scope]")).to_have_text("Cakupan Anda: JKT-PUSAT")
    card = page.locator(f"#board article.qcard[data-queue='{queue_code}']")
    expect(card.locator("dd[data-count='waiting']")).to_have_text("1")  # 2 in the agency
    offices = page.locator("#board .offices li[data-office]")
    expect(offices).to_have_count(1)
    expect(offices.first).to_have_attribute("data-office", "JKT-PUSAT")
    expect(page.locator("#board")).not_to_contain_text("Surabaya")
    shot(page, "40-dashboard-board-scoped")

    page.goto("/dashboard/tickets")
    expect(page.locator("main")).to_contain_text(mine)
    expect(page.locator("main")).not_to_contain_text(theirs)

    response = page.goto(f"/dashboard/tickets?office={other_office}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_contain_text("Tidak ditemukan")
    expect(page.locator("main")).not_to_contain_text(theirs)
    shot(page, "41-dashboard-other-office-404")

    page.goto("/dashboard/figures?from=2026-12-01&to=2026-12-01")
    expect(page.locator("[data-tile='created'] .tile-value")).to_have_text("1")  # 2 in all
    expect(page.locator("#f-office option[value='JKT-PUSAT']")).to_have_count(1)
    expect(page.locator(f"#f-office option[value='{other_office}']")).to_have_count(0)
