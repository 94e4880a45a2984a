"""What a citizen reads back (issue 16): a first message that asks something is greeted and
answered in the same turn; the greeting follows the office's local time; "english" at the
cancel question switches the language; a wrong NIK is told what is wrong; `status` says when
the office opens."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandawa.conversations.salutation import PARTS, part_of_day, salutation_key
from tests.conversations import test_bot
from tests.conversations.test_bot import open_ticket, reply_of, say, welcome

# the fixtures of test_bot.py: a citizen of the shipped catalogue, with or without a ticket
catalog = test_bot.catalog
citizen = test_bot.citizen
with_ticket = test_bot.with_ticket

VALID_NIK = "3174015708900001"

# -- the first message ---------------------------------------------------------------------


def test_a_first_question_is_greeted_and_answered_in_the_same_turn(
    session, clock, catalog, citizen
):
    conversation = citizen()

    reply = say(session, clock, conversation, "gmn cara pindah faskes?")

    faskes = catalog.faq[0]
    assert faskes.question.get("id").startswith("Bagaimana cara pindah faskes")
    assert reply.startswith(welcome(catalog))
    assert faskes.answer.get("id") in reply
    # the menu is named as the way on, not shown
    assert reply.endswith(catalog.text("first_answer_footer", "id"))
    assert catalog.render_menu("id") not in reply
    assert (conversation.state, conversation.state_data) == ("menu", {"path": []})

    # the next question is answered without a second greeting
    again = say(session, clock, conversation, "iuran naik?")
    assert "Selamat datang" not in again
    assert "Rp150.000" in again  # the contribution amounts, not the page on changing class


def test_a_pure_greeting_still_gets_the_greeting_and_the_menu(session, clock, catalog, citizen):
    for opener in ("P", "🙏", "halo min", "mau tanya"):
        conversation = citizen()

        reply = say(session, clock, conversation, opener)

        assert reply == reply_of(welcome(catalog), catalog.render_menu("id")), opener


def test_a_greeting_in_the_menu_shows_the_menu_again(session, clock, catalog, citizen):
    conversation = citizen("menu", {"path": ["2"]})

    reply = say(session, clock, conversation, "halo")

    assert reply == reply_of(welcome(catalog), catalog.render_menu("id"))


def test_a_first_request_for_a_person_is_handed_over(session, clock, catalog, citizen):
    conversation = citizen()

    reply = say(session, clock, conversation, "selamat malam, saya mau bicara dengan petugas")

    assert reply.startswith(catalog.text("agent_requested", "id"))
    assert open_ticket(session, conversation) is not None


def test_a_command_in_a_sentence_is_no_command_while_a_detail_is_asked(
    session, clock, catalog, citizen
):
    conversation = citizen("menu", {"path": ["2"]})
    say(session, clock, conversation, "3")
    say(session, clock, conversation, "ya")  # the checklist's check (issue 17)
    say(session, clock, conversation, VALID_NIK)
    assert conversation.state_data["step"] == 1  # "describe the change"

    say(session, clock, conversation, "saya mau batalkan kepesertaan istri saya")

    # the description was taken, not read as `batal`; the checklist's documents come next
    assert conversation.state == "checklist"
    assert conversation.state_data["details"]["request"].startswith("saya mau batalkan")


# -- the greeting by the office's local time -------------------------------------------------


@pytest.mark.parametrize(
    "utc_hour, expected",
    [(23, "Selamat pagi"), (4, "Selamat siang"), (9, "Selamat sore"), (13, "Selamat malam")],
)
def test_the_greeting_follows_jakarta_time(session, clock, catalog, citizen, utc_hour, expected):
    # 06.00, 11.00, 16.00 and 20.00 WIB (UTC+7)
    clock.set(datetime(2026, 12, 1, utc_hour, 0, tzinfo=UTC))
    conversation = citizen()

    assert say(session, clock, conversation, "halo").startswith(f"{expected}, Bapak/Ibu.")


@given(st.times())
def test_every_time_of_day_has_one_part_in_order(local):
    part = part_of_day(local)
    assert part in PARTS
    if time(4) <= local < time(11):
        assert part == "pagi"
    elif time(11) <= local < time(15):
        assert part == "siang"
    elif time(15) <= local < time(18):
        assert part == "sore"
    else:
        assert part == "malam"


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from([("Asia/Jakarta", 7), ("Asia/Makassar", 8), ("Asia/Jayapura", 9)]),
)
def test_the_office_zone_decides_the_greeting(at, zone):
    name, offset = zone
    local = (at.replace(tzinfo=None).hour + offset) % 24
    expected = part_of_day(time(local, at.minute))
    assert salutation_key(at, name) == f"salutation_{expected}"


def test_the_same_instant_is_evening_in_jayapura_and_afternoon_in_jakarta():
    at = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # 17.30 WIB, 18.30 WITA, 19.30 WIT
    assert salutation_key(at, "Asia/Jakarta") == "salutation_sore"
    assert salutation_key(at, "Asia/Makassar") == "salutation_malam"
    assert salutation_key(at, "Asia/Jayapura") == "salutation_malam"


# -- "english" at the cancel question --------------------------------------------------------


def test_english_at_the_cancel_question_switches_language_and_asks_again(
    session, clock, catalog, with_ticket
):
    conversation, ticket = with_ticket()
    say(session, clock, conversation, "batal")

    reply = say(session, clock, conversation, "english")

    assert reply == reply_of(
        catalog.text("language_changed", "en"),
        catalog.text("cancel_confirm", "en", ticket=ticket.number),
    )
    assert conversation.state == "confirm_cancel"
    assert open_ticket(session, conversation) is not None

    say(session, clock, conversation, "yes")
    assert open_ticket(session, conversation) is None


# -- NIK errors that say what is wrong -------------------------------------------------------


@pytest.mark.parametrize(
    "typed, key, fields",
    [
        ("317401570890000", "nik_length", {"count": 15}),
        ("31740157089000012", "nik_length", {"count": 17}),
        ("NIK 3174015708900001", "nik_letters", {}),
        ("3174O15708900001", "nik_letters", {}),  # a letter O for a zero
        ("0074015708900001", "nik_province", {"code": "00"}),
        ("9974015708900001", "nik_province", {"code": "99"}),
        ("3174013213900001", "nik_birth_date", {}),  # month 13
        ("3174013102900001", "nik_birth_date", {}),  # 31 February
        ("3174017202900001", "nik_birth_date", {}),  # a woman born on the 32nd
    ],
)
def test_a_wrong_nik_is_told_what_is_wrong(session, clock, catalog, citizen, typed, key, fields):
    conversation = citizen("menu", {"path": []})
    nik_step = catalog.find_menu_item(("3",)).collect[0]
    say(session, clock, conversation, "3")
    say(session, clock, conversation, "ya")  # the checklist's check (issue 17)

    reply = say(session, clock, conversation, typed)

    assert reply == reply_of(catalog.text(key, "id", **fields), nik_step.prompt.get("id"))
    assert conversation.state_data["step"] == 0


def test_a_right_nik_goes_on(session, clock, catalog, citizen):
    conversation = citizen("menu", {"path": []})
    say(session, clock, conversation, "3")
    say(session, clock, conversation, "ya")  # the checklist's check (issue 17)

    say(session, clock, conversation, "3174 0157 0890 0001")

    assert conversation.state_data["details"] == {"nik": VALID_NIK}


# -- `status` says when the office opens ------------------------------------------------------


def test_status_outside_hours_says_when_the_office_opens(session, clock, catalog, with_ticket):
    # Saturday 5 December 2026, 10.00 WIB: closed until Monday
    clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=UTC))
    conversation, _ticket = with_ticket()

    reply = say(session, clock, conversation, "status")

    assert reply.endswith(
        "Kantor saat ini di luar jam layanan; petugas melayani kembali mulai "
        "*Senin, 7 Desember 2026 pukul 08.00 WIB*."
    )


def test_status_inside_hours_says_until_when(session, clock, catalog, with_ticket):
    conversation, _ticket = with_ticket()  # Tuesday, 10.00 WIB

    reply = say(session, clock, conversation, "cek status")

    assert reply.endswith("Petugas melayani hari ini hingga pukul 15.00 WIB.")
