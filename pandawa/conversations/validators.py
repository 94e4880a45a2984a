"""Validators for the details the bot collects, and the phone-number normaliser."""

from __future__ import annotations

import re
from datetime import date

_DIGITS = re.compile(r"\d+")


def normalise_phone(typed: str) -> str | None:
    """A number as a citizen types it → E.164 (`0812-3456-7890` → `+6281234567890`).

    Indonesian habits: a leading 0 is the trunk prefix, `62…` lacks the plus. Anything that is
    not 8–15 digits afterwards is refused (None).
    """
    digits = "".join(_DIGITS.findall(typed))
    if not digits:
        return None
    if typed.strip().startswith("+"):
        e164 = "+" + digits
    elif digits.startswith("0"):
        e164 = "+62" + digits[1:]
    elif digits.startswith("62"):
        e164 = "+" + digits
    elif digits.startswith("8"):
        e164 = "+62" + digits
    else:
        e164 = "+" + digits
    return e164 if 8 <= len(e164) - 1 <= 15 else None


# Province codes of the NIK (Kemendagri): Sumatra, Riau Islands, Java and Banten, Bali and
# Nusa Tenggara, Kalimantan, Sulawesi, Maluku, and Papua with its provinces formed in 2022
_SUMATRA_JAVA = (*range(11, 20), 21, *range(31, 37))
_EAST = (51, 52, 53, *range(61, 66), *range(71, 77), 81, 82, *range(91, 97))
NIK_PROVINCES = frozenset((*_SUMATRA_JAVA, *_EAST))
NIK_LENGTH = 16
# what is wrong with a typed NIK (`nik_problem`)
NIK_LETTERS = "letters"
NIK_LENGTH_WRONG = "length"
NIK_PROVINCE = "province"
NIK_BIRTH_DATE = "birth_date"


def nik_problem(text: str) -> tuple[str, dict[str, object]] | None:
    """What is wrong with a typed NIK, with the details to tell the citizen; None when valid.

    Checked in the order a citizen can fix it: something besides digits (spaces and dots
    between groups are fine), then the count of digits, then the province code (first two
    digits), then the birth date (digits 7–12 as DDMMYY; women add 40 to the day).
    """
    compact = re.sub(r"[\s.\-]", "", text)
    digits = "".join(_DIGITS.findall(compact))
    if len(digits) != len(compact):
        return NIK_LETTERS, {}
    if len(digits) != NIK_LENGTH:
        return NIK_LENGTH_WRONG, {"count": len(digits)}
    if int(digits[:2]) not in NIK_PROVINCES:
        return NIK_PROVINCE, {"code": digits[:2]}
    day, month = int(digits[6:8]), int(digits[8:10])
    if day > 40:
        day -= 40
    try:
        date(2000, month, day)  # a leap year: 29 February is a real birthday
    except ValueError:
        return NIK_BIRTH_DATE, {"day": digits[6:8], "month": digits[8:10]}
    return None


def valid_nik(text: str) -> str | None:
    """NIK: 16 digits; a known province code, a real birth date (women add 40 to the day)."""
    if nik_problem(text) is not None:
        return None
    return "".join(_DIGITS.findall(text))


def valid_card_number(text: str) -> str | None:
    digits = "".join(_DIGITS.findall(text))
    return digits if len(digits) == 13 and digits == text.strip().replace(" ", "") else None


def valid_date(text: str) -> str | None:
    """dd-mm-yyyy, dd/mm/yyyy or dd.mm.yyyy → ISO date."""
    match = re.fullmatch(r"\s*(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})\s*", text)
    if not match:
        return None
    d, m, y = (int(g) for g in match.groups())
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def valid_text(text: str) -> str | None:
    text = text.strip()
    return text if text else None
