"""Reopening templates answered: counted once, when the citizen writes after a template that
went out since their last message (the dashboard's "templates answered")."""

from __future__ import annotations

from datetime import timedelta

from pandawa.core.clock import now
from pandawa.tickets.notify import note_reopen_answered


def test_the_first_message_after_a_template_counts_once(session, make_ticket):
    ticket = make_ticket()
    last = now() - timedelta(hours=40)  # the citizen last wrote 40 h ago: the window shut
    ticket.reopen_template_sent_at = last + timedelta(hours=30)
    session.flush()
    answer = now()

    assert note_reopen_answered(session, ticket.conversation_id, last, answer) is True
    assert ticket.reopen_templates_answered == 1
    # their next message, a minute later: the window is open again, nothing new to count
    later = answer + timedelta(minutes=1)
    assert note_reopen_answered(session, ticket.conversation_id, answer, later) is False
    assert ticket.reopen_templates_answered == 1


def test_no_count_without_a_template_since_their_last_message(session, make_ticket):
    ticket = make_ticket()
    last = now() - timedelta(hours=40)
    ticket.reopen_template_sent_at = last - timedelta(hours=1)  # answered by `last` already
    session.flush()
    assert note_reopen_answered(session, ticket.conversation_id, last, now()) is False
    # and a message inside the window never looks: no template goes to an open window
    assert note_reopen_answered(session, ticket.conversation_id, now(), now()) is False
    assert ticket.reopen_templates_answered == 0


def test_a_message_older_than_the_template_is_not_its_answer(session, make_ticket):
    ticket = make_ticket()
    last = now() - timedelta(hours=40)
    ticket.reopen_template_sent_at = now()
    session.flush()
    before = now() - timedelta(minutes=2)  # stored before the template went out
    assert note_reopen_answered(session, ticket.conversation_id, last, before) is False
    assert ticket.reopen_templates_answered == 0
