"""NIK, KK and phone numbers are masked in text however the citizen wrote them."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, unquote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pandawa.core.masking import mask_address, mask_phone, mask_text

NIK = "3174010101010001"

# what a citizen (or a URL) puts between the digits of a number
SEPARATORS = [" ", "  ", ".", "-", "/", "_", "\n", "\r\n", "\t", "%20", "%2D", "%2F", "%0A", "+"]
_STRIP = re.compile(r"%(?:25)*(?:20|2[BbDdEeFf]|5[Ff]|0[9AaDd])|[\s./_+\-]")


def squeezed(text: str) -> str:
    """The text with every separator gone: what a reader would piece the digits back from."""
    return _STRIP.sub("", text)


sixteen_digits = st.text(alphabet="0123456789", min_size=16, max_size=16)
separator_runs = st.lists(st.sampled_from(SEPARATORS), max_size=3).map("".join)


@st.composite
def written_numbers(draw, digits=sixteen_digits):
    number = draw(digits)
    gaps = [draw(separator_runs) for _ in range(len(number) - 1)]
    return number, number[0] + "".join(g + d for g, d in zip(gaps, number[1:], strict=True))


# arbitrary text around it: anything, digits included
surroundings = st.text(max_size=40)


@given(written_numbers(), surroundings, surroundings)
@example((NIK, "3174  0101.0101-0001"), "NIK saya ", " ya")
@example((NIK, "3174/0101_0101\n0001"), "", "")
@example((NIK, NIK), "12/03/2024 ", " Rp 150.000")
def test_no_sixteen_digit_number_survives_in_any_notation(written, before, after):
    number, text = written
    masked = mask_text(before + text + after)
    assert number not in squeezed(masked)
    assert number not in squeezed(unquote(masked))


@given(written_numbers(), surroundings)
def test_inside_a_percent_encoded_url_too(written, after):
    number, text = written
    url = "https://example.org/?citizen=" + quote("whatsapp:+62 " + text, safe="") + after
    assert number not in squeezed(unquote(mask_text(url)))


@pytest.mark.parametrize(
    "phone",
    [
        "+6281234567890",
        "6281234567890",
        "081234567890",
        "0812 3456 7890",
        "0812-3456-789",
        "+62 812.3456.7890",
        "0812\n3456\n7890",
        "whatsapp%3A%2B6281234567890",
        "%2B62%20812%203456%207890",
    ],
)
def test_phone_numbers_in_any_notation(phone):
    masked = mask_text(f"hubungi {phone} ya")
    digits = re.sub(r"\D", "", unquote(phone).removeprefix("whatsapp:"))
    assert digits[-8:] not in squeezed(unquote(masked))
    assert masked.startswith("hubungi ") and masked.endswith(" ya")


@pytest.mark.parametrize(
    "text",
    [
        "Tiket PDW-261201-7KQ2MX sudah selesai",
        "tanggal 12/03/2024 jam 10.30",
        "biaya Rp 150.000, dibayar 2.500.000",
        "RT 005/RW 012, kode pos 12345",
        "nomor antrean 42",
    ],
)
def test_ordinary_short_numbers_survive(text):
    assert mask_text(text) == text


@given(
    st.sampled_from(["PDW-{d}-{s}", "{d}", "Rp {a}", "{day}/{month}/20{yy}"]),
    st.dates(date(2024, 1, 1), date(2039, 12, 31)).map(lambda day: f"{day:%y%m%d}"),
    st.text(alphabet="ABCDEFGHJKMNPQRSTVWXYZ23456789", min_size=6, max_size=6),
    st.integers(0, 99_999_999),
    st.integers(1, 28),
    st.integers(1, 12),
    st.integers(0, 99),
)
def test_ticket_numbers_dates_and_amounts_survive(shape, d, s, amount, day, month, yy):
    text = shape.format(
        d=d, s=s, a=f"{amount:,}".replace(",", "."), day=day, month=month, yy=f"{yy:02d}"
    )
    assert mask_text(text) == text


def test_masking_keeps_the_shape_and_is_idempotent():
    masked = mask_text("NIK 3174.0101.0101.0001!")
    assert masked == "NIK 3174.****.****.0001!"
    assert mask_text(masked) == masked


def test_addresses_keep_their_channel_prefix():
    assert mask_address("whatsapp:+6281234567890") == "whatsapp:+62812****7890"
    assert mask_phone("whatsapp:+6281234567890") == "+62812****7890"
