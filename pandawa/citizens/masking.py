"""Masking of NIK and card numbers where the full value is not needed.

The ticket keeps what the citizen gave (the agent holding it needs the real number); lists,
notifications, logs and anyone without the ticket get `3174********0001`: the first and last
four digits, every other digit a `*`, the length unchanged (so the shape still reads as a NIK).
"""

from __future__ import annotations

import re
from typing import Any

# keys whose values are identity numbers whatever their length: nik, card_number, nik_pelapor…
_SENSITIVE_KEY = re.compile(r"(?:.*_)?(?:nik|card_number|no_kartu|nomor_kartu|noka)(?:_.*)?")
# a NIK (16) or card number (13) inside any text, also typed in groups ("3174 0101 …")
_NUMBER_IN_TEXT = re.compile(r"(?<!\d)\d(?:[ .-]?\d){12,15}(?!\d)")
_URL = re.compile(r"https?://", re.IGNORECASE)
_KEEP = 4


def mask_digits(value: str) -> str:
    """Keep the first and last four digits, mask the others; non-digits stay in place.

    Short values keep less (a quarter of their digits at each end), so at least half of the
    digits are always hidden.
    """
    count = sum(ch.isdigit() for ch in value)
    keep = _KEEP if count >= 3 * _KEEP else count // 4
    out = []
    seen = 0
    for ch in value:
        if ch.isdigit():
            seen += 1
            if keep < seen <= count - keep:
                ch = "*"
        out.append(ch)
    return "".join(out)


def mask_text(text: str) -> str:
    """Mask every 13–16 digit number inside free text (a NIK typed into a complaint)."""
    return _NUMBER_IN_TEXT.sub(lambda match: mask_digits(match.group()), text)


def mask_details(details: dict) -> dict:
    """A copy of a ticket's details with identity numbers masked, nested values included.

    Values under `nik`, `card_number` (and similar keys) are masked whatever they hold; any
    other text has its 13–16 digit numbers masked. Links (media URLs) are left alone.
    """
    return {key: _mask_value(value, _is_sensitive(key)) for key, value in details.items()}


def _is_sensitive(key: object) -> bool:
    return isinstance(key, str) and _SENSITIVE_KEY.fullmatch(key.lower()) is not None


def _mask_value(value: Any, sensitive: bool) -> Any:
    if isinstance(value, dict):
        return {
            key: _mask_value(item, sensitive or _is_sensitive(key)) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask_value(item, sensitive) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        digits = str(value)
        return mask_digits(digits) if sensitive or 13 <= len(digits.lstrip("-")) <= 16 else value
    if not isinstance(value, str):
        return value
    if sensitive:
        return mask_digits(value)
    if _URL.match(value.strip()):
        return value
    return mask_text(value)


def mask_phone(address: str | None) -> str:
    """`whatsapp:+6281234567890` → `+62812****7890`: the country and operator prefix and the
    last four digits; the rest hidden, the length kept."""
    value = (address or "").removeprefix("whatsapp:")
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if len(digits) < 9:
        return "*" * len(value)
    head = 5 if len(digits) >= 11 else 2
    hidden = set(digits[head:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))
