"""Masking of NIK, KK and phone numbers in any text: pure functions, below every layer.

Citizens type a NIK as `3174 0101 0101 0001`, `3174.0101.0101.0001`, over two lines, or paste
a link that carries their number percent-encoded (`%2B62812…`). So a number here is a run of
digits joined by separators — spaces, `.`, `-`, `/`, `_`, `+`, tabs, line breaks, and their
percent-encoded forms (`%20`, `%2D`, `%0A`…) — however many and however mixed. A run of 13 or
more digits (NIK and KK have 16, card numbers 13) is masked whatever it starts with; a shorter
run only when it reads as an Indonesian mobile number (`08…`, `628…` with 9–13 digits after the
prefix). Dates, amounts (`Rp 150.000`) and ticket numbers (`PDW-261201-7KQ2MX`) are shorter and
survive. Separators stay in place, so the masked text keeps its shape.
"""

from __future__ import annotations

import re

_DIGITS = frozenset("0123456789")
# what may stand between two digits of one number (also a `+` from a form-encoded URL)
_SEPARATOR_CHARS = frozenset(" \t\r\n\f\v.-/_+\u00a0")
# the percent-encoded separators: space, + - . / _ tab LF CR
_SEPARATOR_ESCAPES = frozenset({"20", "2b", "2d", "2e", "2f", "5f", "09", "0a", "0d"})
# `%2520` is `%20` encoded twice (a link inside a link): the same separator
_ESCAPE = re.compile(r"%(?:25)*([0-9A-Fa-f]{2})")
_LONG = 13  # NIK and KK: 16; card numbers: 13
_KEEP = 4


def mask_digits(value: str) -> str:
    """Keep the first and last four digits, mask the others; non-digits stay in place.

    Short values keep less (a quarter of their digits at each end), so at least half of the
    digits are always hidden.
    """
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    return _hide(value, positions)


def mask_text(text: str) -> str:
    """Mask every NIK, KK, card or mobile number inside free text, however it is written."""
    if not text:
        return text or ""
    runs = _number_runs(text)
    if not runs:
        return text
    chars = list(text)
    for positions in runs:
        digits = "".join(text[i] for i in positions)
        if _is_personal_number(digits):
            for i in _hidden(positions):
                chars[i] = "*"
    return "".join(chars)


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


def mask_address(address: str | None) -> str:
    """`whatsapp:+6281234567890` → `whatsapp:+62812****7890`: like mask_phone, the channel's
    prefix kept (the API's `contact.address`)."""
    value = address or ""
    prefix = "whatsapp:" if value.startswith("whatsapp:") else ""
    return prefix + mask_phone(value)


def _is_personal_number(digits: str) -> bool:
    if len(digits) >= _LONG:
        return True
    # a mobile number: 0 8xx… or 62 8xx…, 9–13 digits after the prefix
    if digits.startswith("08"):
        return 9 <= len(digits) - 1 <= 13
    if digits.startswith("628"):
        return 9 <= len(digits) - 2 <= 13
    return False


def _number_runs(text: str) -> list[list[int]]:
    """The digit positions of every run of digits joined only by separators."""
    runs: list[list[int]] = []
    current: list[int] = []
    i, size = 0, len(text)
    while i < size:
        ch = text[i]
        if ch in _DIGITS:
            current.append(i)
            i += 1
            continue
        if ch == "%":
            escape = _ESCAPE.match(text, i)
            if escape is not None:
                i = escape.end()
                if escape.group(1).lower() in _SEPARATOR_ESCAPES:
                    continue
                # any other escape (%3A, %3D…) ends the number; its hex digits are not ours
                if current:
                    runs.append(current)
                    current = []
                continue
        if ch in _SEPARATOR_CHARS:
            i += 1
            continue
        if current:
            runs.append(current)
            current = []
        i += 1
    if current:
        runs.append(current)
    return runs


def _hidden(positions: list[int]) -> list[int]:
    count = len(positions)
    keep = _KEEP if count >= 3 * _KEEP else count // 4
    return positions[keep : count - keep]


def _hide(value: str, positions: list[int]) -> str:
    hidden = set(_hidden(positions))
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))
