"""Contact cards (vCard 2.1 to 4.0) a citizen shares: the name and phone numbers of each card.

`channels.media` fetches a card, checks it is one, and keeps what `parse_vcards` reads in the
message's `extra["contacts"]`: at most MAX_CONTACTS cards, MAX_PHONES numbers each.
"""

from __future__ import annotations

import re

MAX_CONTACTS = 20
MAX_PHONES = 10


def parse_vcards(text: str) -> list[dict]:
    """Name and phone numbers of each card (vCard 2.1 to 4.0, as WhatsApp shares them)."""
    contacts: list[dict] = []
    card: dict | None = None
    for line in _unfolded(text):
        key, sep, value = line.partition(":")
        if not sep:
            continue
        prop = key.split(";")[0].rsplit(".", 1)[-1].strip().upper()  # "item1.TEL;…" → TEL
        value = value.strip()
        if prop == "BEGIN" and value.upper() == "VCARD":
            card = {"fn": "", "n": "", "phones": []}
        elif card is None:
            continue
        elif prop == "END":
            name = card["fn"] or card["n"]
            if (name or card["phones"]) and len(contacts) < MAX_CONTACTS:
                contacts.append({"name": name[:200], "phones": card["phones"]})
            card = None
        elif prop == "FN":
            card["fn"] = _unescape(value)
        elif prop == "N":
            family, given, *_rest = [*value.split(";"), "", ""]
            card["n"] = " ".join(p for p in (_unescape(given), _unescape(family)) if p)
        elif prop == "TEL" and len(card["phones"]) < MAX_PHONES:
            phone = "".join(c for c in value.removeprefix("tel:") if c.isdigit() or c == "+")
            if sum(c.isdigit() for c in phone) >= 3 and phone not in card["phones"]:
                card["phones"].append(phone[:32])
    return contacts


def _unfolded(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _unescape(value: str) -> str:
    value = value.replace("\\n", " ").replace("\\N", " ")
    return re.sub(r"\\([,;:\\])", r"\1", value).strip()
