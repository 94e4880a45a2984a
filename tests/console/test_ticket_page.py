"""The ticket page an agent works in (issue 16): WhatsApp formatting in the thread, the earlier
tickets of the same citizen, the template that goes first when the 24-hour window is closed."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from markupsafe import escape

from pandawa.accounts.models import User
from pandawa.catalog.queries import active_catalog
from pandawa.citizens.models import Conversation
from pandawa.core.extensions import db
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Ticket
from tests.harness import sign_in, with_password


def page_of(client, number: str) -> str:
    response = client.get(f"/console/tickets/{number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- WhatsApp formatting -------------------------------------------------------------------
def test_thread_renders_whatsapp_formatting_and_keeps_script_as_text(
    signed_in, agent, make_ticket, add_message
):
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    add_message(ticket, "in", "Mohon *segera* _dibantu_ ~kemarin~ ```KTP-01```")
    add_message(ticket, "in", "*<script>alert(1)</script>*")
    add_message(ticket, "out", "Baik, *Bapak*.", author=user)
    db.session.flush()
    page = page_of(signed_in, ticket.number)
    assert (
        "Mohon <strong>segera</strong> <em>dibantu</em> <s>kemarin</s> <code>KTP-01</code>" in page
    )
    assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in page
    assert "<script>alert(1)" not in page
    assert "Baik, <strong>Bapak</strong>." in page


# -- earlier tickets -------------------------------------------------------------------------
def earlier_rows(page: str) -> list[str]:
    """The earlier-tickets table's rows as text, in order."""
    table = page.split('<table class="earlier">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>", 1)[1], re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_earlier_tickets_all_of_the_contact_newest_first_linked_or_masked(
    signed_in, agent, clock, make_ticket, make_conversation, make_queue, make_office
):
    user, queue = agent
    other_queue = make_queue("IURAN")
    first = make_conversation("whatsapp:+6281299990001")
    clock.advance(days=-40)
    oldest = make_ticket(queue=queue, status="resolved", conversation=first)
    clock.advance(days=10)
    elsewhere = make_ticket(queue=other_queue, status="cancelled", conversation=first)
    clock.advance(days=10)
    # the same citizen writing to another office's number: another conversation, same contact
    office = make_office(whatsapp_address="whatsapp:+6281100000002")
    second = Conversation(
        contact_id=first.contact_id,
        channel_address=office.whatsapp_address,
        office_id=office.id,
        state="idle",
        state_data={},
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    db.session.add(second)
    db.session.flush()
    other_office = make_ticket(queue=queue, status="resolved", conversation=second)
    make_ticket(queue=queue, status="resolved")  # another citizen's: never listed
    clock.advance(days=20)
    current = make_ticket(queue=queue, status="assigned", assignee=user, conversation=first)
    db.session.flush()

    page = page_of(signed_in, current.number)
    assert earlier_rows(page) == [
        f"{other_office.number} 11-11-2026 WIB Selesai KTP",
        "•••• Tiket ini berada di antrean yang tidak Anda tangani. 01-11-2026 WIB Dibatalkan "
        "antrean lain",
        f"{oldest.number} 22-10-2026 WIB Selesai KTP",
    ]
    # linked when the agent may open them; another queue's ticket neither linked nor named
    assert f'href="/console/tickets/{oldest.number}"' in page
    assert f'href="/console/tickets/{other_office.number}"' in page
    assert elsewhere.number not in page
    assert signed_in.get(f"/console/tickets/{oldest.number}").status_code == 200


def test_supervisor_sees_every_earlier_ticket_linked(
    client, make_user, make_ticket, make_conversation, make_queue, clock
):
    boss = with_password(make_user(role="supervisor"))
    conversation = make_conversation()
    clock.advance(days=-3)
    old = make_ticket(queue=make_queue(), status="resolved", conversation=conversation)
    clock.advance(days=3)
    current = make_ticket(queue=make_queue(), status="waiting", conversation=conversation)
    db.session.flush()
    assert sign_in(client, boss.email).status_code == 302
    page = page_of(client, current.number)
    assert f'href="/console/tickets/{old.number}"' in page and "hidden-ticket" not in page


def test_a_second_ticket_through_the_bot_lists_the_first(story, citizen_writes, session, client_as):
    """Real rows through the webhook and the bot: the citizen's first ticket was resolved and
    rated (tests/citizen_story.py); through the menu again, a new ticket opens, and its page
    lists the first, linked."""
    citizen_writes("menu")
    citizen_writes("3")
    citizen_writes("ya")  # the service's checklist: registered 3 months (issue 17)
    citizen_writes("3174015708900001")
    citizen_writes("Puskesmas Tebet")
    tickets = session.scalars(
        sa.select(Ticket).where(Ticket.contact_id == story.contact_id).order_by(Ticket.id)
    ).all()
    assert len(tickets) == 2 and tickets[0].number == story.ticket_number
    agent = session.scalar(sa.select(User).where(User.email == "petugas@example.go.id"))
    page = page_of(client_as(agent), tickets[1].number)
    assert earlier_rows(page)[0].startswith(f"{story.ticket_number} ")
    assert f'href="/console/tickets/{story.ticket_number}"' in page


def test_writing_again_soon_after_reopens_the_same_ticket_so_nothing_is_earlier(
    story, citizen_writes, session, client_as, clock
):
    """Why the list looked empty: a citizen writing again within REOPEN_WITHIN (7 days) while
    an agent of the queue is online gets the same ticket back, not a new one — its thread
    holds both exchanges and the page says there is no other ticket."""
    agent = session.scalar(sa.select(User).where(User.email == "petugas@example.go.id"))
    agent.presence, agent.last_seen_at = "online", clock.now()
    session.commit()
    citizen_writes("Maaf, saya mau tanya lagi soal faskes saya")
    tickets = session.scalars(sa.select(Ticket).where(Ticket.contact_id == story.contact_id)).all()
    assert [(t.number, t.status) for t in tickets] == [(story.ticket_number, "assigned")]
    page = page_of(client_as(agent), story.ticket_number)
    assert earlier_rows(page) == ["Belum ada tiket lain dari warga ini."]
    assert "Maaf, saya mau tanya lagi soal faskes saya" in page


# -- the 24-hour window ----------------------------------------------------------------------
def test_closed_window_shows_the_template_that_goes_first_filled_in(
    signed_in, agent, make_ticket, make_conversation, clock, session
):
    load_default(session)
    user, queue = agent
    conversation = make_conversation()
    conversation.last_inbound_at = clock.now() - timedelta(hours=30)
    conversation.contact.name = "Siti Rahayu"
    ticket = make_ticket(queue=queue, status="assigned", assignee=user, conversation=conversation)
    db.session.flush()
    expected = (
        active_catalog()
        .template("window_reopen")
        .preview.get("id")
        .format(ticket=ticket.number, name="Siti Rahayu", office="x")
    )
    assert ticket.number in expected  # the variable is filled, not shown as {ticket}
    page = page_of(signed_in, ticket.number)
    window = page.split('id="window"', 1)[1].split("</div>", 1)[0]
    assert "Jendela 24 jam tertutup" in window
    assert "Templat yang akan dikirim lebih dulu (window_reopen)" in window
    assert f'id="window-template" dir="auto">{escape(expected)}</blockquote>' in window
    assert "{ticket}" not in window

    # once it went, the page says when, and that replies wait for the citizen's answer
    ticket.reopen_template_sent_at = clock.now() - timedelta(minutes=5)
    db.session.flush()
    window = page_of(signed_in, ticket.number).split('id="window"', 1)[1].split("</div>", 1)[0]
    assert "Templat pembuka sudah dikirim" in window and "ditahan sampai warga menjawab" in window


def test_open_window_shows_no_template(signed_in, agent, make_ticket, make_conversation, clock):
    user, queue = agent
    conversation = make_conversation()
    conversation.last_inbound_at = clock.now() - timedelta(hours=1)
    ticket = make_ticket(queue=queue, status="assigned", assignee=user, conversation=conversation)
    db.session.flush()
    page = page_of(signed_in, ticket.number)
    assert "Jendela 24 jam terbuka sampai" in page and 'id="window-template"' not in page


def test_live_bubbles_are_formatted_like_the_page(signed_in, agent, make_ticket, add_message):
    """The fragment live.js fetches for new messages renders them as the page does."""
    user, queue = agent
    ticket = make_ticket(queue=queue, status="assigned", assignee=user)
    add_message(ticket, "in", "Sudah saya kirim *kemarin* ~sore~, <b>bukan</b> tadi")
    db.session.commit()  # the fragment's view rolls its session back after reading
    fragment = signed_in.get(f"/console/tickets/{ticket.number}/messages?after=0")
    html = fragment.get_data(as_text=True)
    assert (
        "Sudah saya kirim <strong>kemarin</strong> <s>sore</s>, &lt;b&gt;bukan&lt;/b&gt; tadi"
        in html
    )


def test_the_page_in_english(signed_in, agent, make_ticket, make_conversation, clock, session):
    load_default(session)
    user, queue = agent
    conversation = make_conversation()
    conversation.last_inbound_at = clock.now() - timedelta(days=2)
    conversation.contact.language = "en"
    ticket = make_ticket(queue=queue, status="assigned", assignee=user, conversation=conversation)
    db.session.flush()
    signed_in.set_cookie("lang", "en")
    page = page_of(signed_in, ticket.number)
    assert f"Resolve ticket {ticket.number}?" in page
    assert "The template that goes first (window_reopen)" in page
    # the citizen reads English: the preview is the English text, filled in
    assert f"Your ticket {ticket.number} is ready for an officer" in page
    assert "No other tickets from this citizen." in page
