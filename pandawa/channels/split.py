"""Splitting a long body into WhatsApp-sized parts at natural boundaries."""

from __future__ import annotations

import re

MAX_BODY = 1600  # Twilio's limit for one message body, counted in UTF-16 code units
# another provider's own limit (the Cloud API's text body: 4,096 characters)
PROVIDER_MAX_BODY = {"meta": 4096}
_SENTENCE_END = re.compile(r"[.!?…]['\")\]’”]*(?=\s)")


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """Split at paragraph, then line, then sentence, then word boundaries; mid-word only for a
    word longer than the limit. Whitespace at the cuts is dropped; no part is empty."""
    if utf16_units(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_units(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut_at(rest, _fit(rest, limit))
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def utf16_units(text: str) -> int:
    """Length as Twilio counts it (UTF-16 code units: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in code points) that is at most `limit` UTF-16 units."""
    n = min(len(text), limit)
    units = utf16_units(text[:n])
    while units > limit:
        n -= max((units - limit) // 2, 1)  # never removes more than the excess
        units = utf16_units(text[:n])
    return n


def _cut_at(text: str, fit: int) -> int:
    """Where to cut `text` (stripped, longer than fit) so that text[:cut] fits."""
    window = text[: fit + 1]  # a boundary right after the last fitting character counts
    floor = fit // 2  # a natural boundary, but not one that leaves a tiny part
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator, 0, fit)
        if at > floor:
            return at
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= fit]
    if sentence_ends and sentence_ends[-1] > floor:
        return sentence_ends[-1]
    spaces = [i for i in range(min(fit, len(window) - 1), 0, -1) if window[i].isspace()]
    if spaces:
        return spaces[0]
    return fit  # one word longer than a whole message


def body_limit(provider: str) -> int:
    """The longest body one message of `provider` carries."""
    return PROVIDER_MAX_BODY.get(provider, MAX_BODY)
