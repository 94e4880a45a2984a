"""What a webhook field may hold: a message that can never be stored must never be answered
503, or the provider retries it for ever and the channel clogs behind it.

Identifiers (From, To, MessageSid, WaId, MediaUrl*, MediaContentType*, …) never hold a control
character in a real delivery: such a field is refused with 400 naming it, as is one longer than
its column. Text a person wrote (the body, the profile name, a button's label, an address, the
provider's error text) is stored cleaned instead: NUL and the C0 controls go, tab and line
breaks stay — the citizen's message is never lost for an invisible character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# written by a person: cleaned, never refused
FREE_TEXT = frozenset(
    {"Body", "ProfileName", "ButtonText", "ButtonPayload", "Address", "Label", "ErrorMessage"}
)
# the columns these land in (channels.models.Message)
MAX_LENGTH = {"MessageSid": 128, "From": 128, "To": 128, "MessageType": 32}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: never in an identifier
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # C0 but tab, LF, CR


def refused_field(items: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The first identifier field that can never be stored, with the reason; None when all
    can. `items` are the form's (name, value) pairs, repeated names included."""
    for name, value in items:
        if name in FREE_TEXT:
            continue
        if _CONTROL.search(name) or _CONTROL.search(value):
            return _printable(name), "contains control characters"
        limit = MAX_LENGTH.get(name)
        if limit is not None and len(value) > limit:
            return name, f"is longer than {limit} characters"
    return None


def clean_text(value: str) -> str:
    """Text a person wrote, storable: NUL and C0 controls removed, tab and line breaks kept."""
    return _TEXT_CONTROL.sub("", value)


def _printable(name: str) -> str:
    # a field *name* with a control character is named back escaped, not echoed raw
    return name.encode("unicode_escape").decode("ascii")[:64]
