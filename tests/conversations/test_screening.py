"""`berhenti`/`stop` and `mulai`/`start` (conversations.screening): how citizens write them,
what they are told, in their language, once; and a blocked number's messages stored unanswered.
Through the real webhook and `process_inbound`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from pandawa.channels.models import Message
from pandawa.citizens.consent import is_opted_out
from pandawa.citizens.models import Contact
from pandawa.conversations.screening import OPT_IN, OPT_OUT, opt_keyword
from pandawa.provisioning.operations import load_default
from pandawa.tickets.models import Ticket
from tests.harness import CITIZEN

DECORATION = st.text(alphabet=" .,!?~*_-🙏🛑😡👋🙂\n", max_size=6)


def _case(word: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c for c, f in zip(word, flips + [False] * len(word), strict=False)
    )


@given(
    word=st.sampled_from(["berhenti", "stop"]),
    flips=st.lists(st.booleans(), max_size=8),
    before=DECORATION,
    after=DECORATION,
    polite=st.sampled_from(["", "tolong ", "mohon ", "kak "]),
    tail=st.sampled_from(["", " dulu", " ya", " min"]),
)
def test_stop_words_are_read_however_they_are_written(word, flips, before, after, polite, tail):
    text = f"{before}{polite}{_case(word, flips)}{tail}{after}"
    assert opt_keyword(text) == (OPT_OUT, word)


@given(word=st.sampled_from(["mulai", "start"]), before=DECORATION, after=DECORATION)
def test_start_words_too(word, before, after):
    assert opt_keyword(f"{before}{word.upper()}{after}") == (OPT_IN, word)


@pytest.mark.parametrize(
    "body",
    [
        "stop permohonan",  # cancel the request (keywords: batal)
        "kapan iuran berhenti dipotong?",
        "jangan berhenti melayani",
        "berhentikan kepesertaan saya",
        "mulai kapan kantor buka?",
        "",
        "1",
    ],
)
def test_sentences_containing_the_words_are_not_keywords(body):
    assert opt_keyword(body) is None


@given(st.text(max_size=40))
def test_never_raises(text):
    opt_keyword(text)


@pytest.fixture
def catalogue(session):
    load_default(session)
    session.commit()


def _replies(session) -> list[str]:
    return list(
        session.scalars(
            sa.select(Message.body)
            .where(Message.direction == "out", Message.recipient == CITIZEN)
            .order_by(Message.id)
        )
    )


def _contact(session) -> Contact:
    return session.scalar(sa.select(Contact).where(Contact.address == CITIZEN))


def test_berhenti_is_recorded_and_confirmed_once_in_indonesian(
    session, clock, catalogue, citizen_writes
):
    citizen_writes("halo")
    before = len(_replies(session))
    message_id = citizen_writes("BERHENTI.")
    contact = _contact(session)
    sent_at = session.get(Message, message_id).created_at
    assert is_opted_out(contact)
    assert (contact.opted_out_at, contact.opt_out_method) == (sent_at, "keyword:berhenti")
    replies = _replies(session)[before:]
    assert len(replies) == 1
    assert replies[0].startswith("Baik, Bapak/Ibu tidak akan lagi menerima pemberitahuan")
    assert "*mulai*" in replies[0]

    citizen_writes("berhenti")  # again: already confirmed, nothing more
    assert len(_replies(session)) == before + 1
    assert _contact(session).opted_out_at == sent_at  # the first request stands


def test_an_english_conversation_is_answered_in_english(session, catalogue, citizen_writes):
    citizen_writes("english")
    citizen_writes("Stop!")
    assert _replies(session)[-1].startswith("Understood, you will no longer receive")
    assert _contact(session).opt_out_method == "keyword:stop"
    citizen_writes("START")
    assert _replies(session)[-1].startswith("Thank you, you will receive notifications")
    assert _contact(session).opt_in_method == "keyword:start"


def test_mulai_is_the_menu_for_a_citizen_who_never_opted_out(session, catalogue, citizen_writes):
    citizen_writes("mulai")
    assert "1." in _replies(session)[-1]  # the numbered menu
    assert _contact(session).opted_in_at is None


def test_stop_on_an_open_ticket_lands_on_it_for_the_agent(session, catalogue, citizen_writes):
    citizen_writes("petugas")
    ticket = session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    message_id = citizen_writes("stop")
    assert session.get(Message, message_id).ticket_id == ticket.id
    assert ticket.status == "waiting"  # opting out of notices is not cancelling the request
