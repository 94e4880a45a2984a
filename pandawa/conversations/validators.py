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


def valid_nik(text: str) -> str | None:
    """NIK: 16 digits; province code 11–94, a plausible birth date (women add 40 to the day)."""
    digits = "".join(_DIGITS.findall(text))
    if len(digits) != 16 or len(digits) != len(text.replace(" ", "").replace(".", "")):
        return None
    province = int(digits[:2])
    day, month = int(digits[6:8]), int(digits[8:10])
    if day > 40:
        day -= 40
    if not 11 <= province <= 94 or not 1 <= day <= 31 or not 1 <= month <= 12:
        return None
    return digits


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
