"""Masking of NIK, KK, card and phone numbers wherever staff look.

The ticket keeps what the citizen gave; every page, API answer, export and log shows
`3174********0001`: the first and last four digits, every other digit a `*`, the length
unchanged (so the shape still reads as a NIK). The full value is shown only when a user
deliberately reveals it (an audited act). The text functions live in pandawa.core.masking (logs
use them too); a ticket's details are masked here.
"""

from __future__ import annotations

import re
from typing import Any

from pandawa.core.masking import mask_address, mask_digits, mask_phone, mask_text

__all__ = ["mask_address", "mask_details", "mask_digits", "mask_phone", "mask_text"]

# keys whose values are identity numbers whatever their length: nik, card_number, nik_pelapor…
_SENSITIVE_KEY = re.compile(r"(?:.*_)?(?:nik|kk|card_number|no_kartu|nomor_kartu|noka)(?:_.*)?")


def mask_details(details: dict) -> dict:
    """A copy of a ticket's details with identity numbers masked, nested values included.

    Values under `nik`, `card_number` (and similar keys) are masked whatever they hold; any
    other text has its NIK, KK, card and phone numbers masked (links too: a link can carry a
    number percent-encoded).
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
        if sensitive:
            return mask_digits(digits)
        masked = mask_text(digits)
        return masked if masked != digits else value
    if not isinstance(value, str):
        return value
    if sensitive:
        return mask_digits(value)
    return mask_text(value)
