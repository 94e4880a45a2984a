"""NIK and card numbers masked where the full value is not needed."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from pandawa.citizens.masking import mask_details, mask_digits, mask_text

NIK = "3174010101010001"
CARD = "0001234567890"

digit_strings = st.text(alphabet="0123456789", min_size=13, max_size=16)


def test_a_nik_keeps_its_first_and_last_four_digits():
    assert mask_digits(NIK) == "3174********0001"


def test_a_card_number_likewise():
    assert mask_digits(CARD) == "0001*****7890"


def test_a_number_typed_in_groups_keeps_its_separators():
    assert mask_digits("3174 0101 0101 0001") == "3174 **** **** 0001"


def test_a_short_value_hides_at_least_half():
    assert mask_digits("12345678") == "12****78"
    assert mask_digits("123") == "***"


def test_details_mask_identity_numbers_and_keep_the_rest():
    details = {
        "service": "Perubahan Faskes",
        "nik": NIK,
        "card_number": CARD,
        "birth_date": "1990-01-31",
        "keluhan": f"NIK saya {NIK[:4]} {NIK[4:8]} {NIK[8:12]} {NIK[12:]} tidak terdaftar",
        "family": [{"nik_anak": "3174015505150002", "name": "Budi"}],
        "photo": ["https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"],
        "count": 3,
    }
    original = copy.deepcopy(details)

    masked = mask_details(details)

    assert details == original  # the ticket's own copy is untouched
    assert masked["nik"] == "3174********0001"
    assert masked["card_number"] == "0001*****7890"
    assert masked["keluhan"] == "NIK saya 3174 **** **** 0001 tidak terdaftar"
    assert masked["family"] == [{"nik_anak": "3174********0002", "name": "Budi"}]
    assert masked["service"] == "Perubahan Faskes"
    assert masked["birth_date"] == "1990-01-31"
    assert masked["photo"] == details["photo"]
    assert masked["count"] == 3


def test_a_nik_stored_as_a_number_is_masked_too():
    assert mask_details({"other": int(NIK)}) == {"other": "3174********0001"}


def test_longer_numbers_in_text_are_masked_too():
    # a NIK run into other digits is still a NIK: anything of 13+ digits loses its middle
    twenty = "12345678901234567890"
    assert mask_text(f"ref {twenty}") == "ref 1234************7890"


@given(digit_strings)
def test_masked_numbers_keep_length_and_ends_and_lose_the_middle(number):
    masked = mask_digits(number)
    assert len(masked) == len(number)
    assert masked[:4] == number[:4]
    assert masked[-4:] == number[-4:]
    assert set(masked[4:-4]) == {"*"}
    assert number[4:-4] not in masked


words = st.text(st.characters(exclude_categories=("Nd",)), max_size=30)


@given(words, digit_strings, words)
def test_no_nik_survives_inside_free_text(before, number, after):
    text = f"{before} {number} {after}"
    masked = mask_details({"keluhan": text})["keluhan"]
    assert len(masked) == len(text)
    assert number[4:-4] not in masked


@given(digit_strings, st.sampled_from(["nik", "card_number", "nik_ibu"]))
def test_identity_keys_are_masked_at_any_depth(number, key):
    masked = mask_details({"outer": [{"inner": {key: number}}]})
    value = masked["outer"][0]["inner"][key]
    assert number[4:-4] not in value
    assert len(value) == len(number)
