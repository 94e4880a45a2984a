from hypothesis import given
from hypothesis import strategies as st

from pandawa.conversations.validators import (
    normalise_phone,
    valid_card_number,
    valid_date,
    valid_nik,
)


def test_indonesian_numbers_as_citizens_type_them():
    assert normalise_phone("0812-3456-7890") == "+6281234567890"
    assert normalise_phone("62 812 3456 7890") == "+6281234567890"
    assert normalise_phone("+62 812 3456 7890") == "+6281234567890"
    assert normalise_phone("812 3456 7890") == "+6281234567890"
    assert normalise_phone("hubungi saya") is None
    assert normalise_phone("0812") is None


@given(st.text(alphabet="0123456789", min_size=9, max_size=12))
def test_every_local_form_of_a_number_gives_the_same_e164(rest):
    local = "08" + rest
    assert normalise_phone(local) == normalise_phone("+628" + rest) == normalise_phone("628" + rest)
    assert normalise_phone(local).startswith("+628")


def test_nik():
    assert valid_nik("3174015708900001") == "3174015708900001"
    assert valid_nik("3174 0157 0890 0001") == "3174015708900001"
    assert (
        valid_nik("3174011708900001") == "3174011708900001"
    )  # a man; the first is a woman (day + 40)
    assert valid_nik("317401570890000") is None  # 15 digits
    assert valid_nik("0074015708900001") is None  # no province 00
    assert valid_nik("3174013213900001") is None  # month 13
    assert valid_nik("NIK saya 3174015708900001") is None


def test_card_number_and_date():
    assert valid_card_number("0001234567890") == "0001234567890"
    assert valid_card_number("000123456789") is None
    assert valid_date("17-08-1990") == "1990-08-17"
    assert valid_date("17/8/1990") == "1990-08-17"
    assert valid_date("31-02-1990") is None
