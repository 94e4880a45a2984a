"""WhatsApp's text formatting for the pages that show messages: the `whatsapp` Jinja filter.

Escape first, then a small whitelist: `*tebal*` → <strong>, `_miring_` → <em>, `~coret~` → <s>
and ```` ```mono``` ```` → <code>. Nothing else becomes markup, and no tag carries an attribute,
so whatever a citizen typed (`*<script>*` included) stays text.

WhatsApp's own rules, which decide when a marker is a marker:
- an opening marker starts the text or follows a character that is not a letter, digit or
  marker, and is followed by something else than a space or itself; a closing marker mirrors
  it (so `2*3*4`, `snake_case_name`, `**dua**` and a masked `3174.****.****.0001` stay as
  typed);
- bold, italic and strike-through never span a line break; a monospace block may;
- nothing is formatted inside monospace; the inline ones nest (`*_tebal miring_*`).

Every marker that does not pair up is shown as typed.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

TAGS = {"*": "strong", "_": "em", "~": "s"}
MARKERS = "*_~`"

# ``` … ```: the shortest block with something in it, line breaks allowed
_CODE = re.compile(r"```(?=[^`])(.+?)```", re.DOTALL)
# one inline span per marker: the marker, a character that is neither a space nor the marker,
# the shortest rest on the same line ending the same way, the marker again; no letter, digit or
# marker on the outer sides (\w counts "_" as a letter). So runs of markers are never markers:
# a masked number ("3174.****.****.0001") stays exactly as the masker wrote it.
_SPANS = "|".join(
    rf"(?<![\w*_~]){re.escape(m)}(?=[^\s{m}])(?P<{tag}>[^\n]*?[^\s{m}]){re.escape(m)}(?![\w*_~])"
    for m, tag in (("*", "strong"), ("_", "em"), ("~", "s"))
)
_INLINE = re.compile(_SPANS)
# a span nested deeper than this stays as typed (WhatsApp users nest two or three at most);
# it also bounds the recursion whatever the input
MAX_DEPTH = 3


def whatsapp(text: str | None) -> Markup:
    """`text` as safe HTML with WhatsApp's formatting; None is the empty string."""
    escaped = str(escape(text or ""))
    parts = []
    position = 0
    for match in _CODE.finditer(escaped):
        parts.append(_inline(escaped[position : match.start()], 0))
        parts.append(f"<code>{match.group(1)}</code>")
        position = match.end()
    parts.append(_inline(escaped[position:], 0))
    return Markup("".join(parts))  # noqa: S704 — built from escaped text and fixed tags only


def _inline(escaped: str, depth: int) -> str:
    if depth >= MAX_DEPTH or not any(m in escaped for m in TAGS):
        return escaped

    def wrap(match: re.Match[str]) -> str:
        tag = match.lastgroup or ""
        return f"<{tag}>{_inline(match.group(tag), depth + 1)}</{tag}>"

    return _INLINE.sub(wrap, escaped)
