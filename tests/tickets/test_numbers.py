import re
from datetime import UTC, datetime

from pandawa.tickets.numbers import ALPHABET, new_ticket_number, normalise_number

NUMBER = re.compile(r"^PDW-\d{6}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}$")


def test_number_carries_the_office_local_date():
    # 17:30 UTC on 1 December is already 2 December in Jakarta (UTC+7) and Jayapura (UTC+9)
    at = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert new_ticket_number(at, "Asia/Jakarta").startswith("PDW-261202-")
    assert new_ticket_number(at, "Asia/Jayapura").startswith("PDW-261202-")
    assert new_ticket_number(datetime(2026, 12, 1, 16, 59, tzinfo=UTC), "Asia/Jakarta").startswith(
        "PDW-261201-"
    )


def test_suffix_has_no_look_alike_characters():
    at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    numbers = {new_ticket_number(at, "Asia/Jakarta") for _ in range(300)}
    assert all(NUMBER.match(n) for n in numbers)
    assert not set("01IO") & set(ALPHABET)
    assert len(numbers) == 300


def test_typed_numbers_are_normalised():
    assert normalise_number(" pdw-261201-7kq2mx\n") == "PDW-261201-7KQ2MX"
