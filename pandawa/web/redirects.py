"""Where a redirect after sign-in (`?next=`) or a language change (`back`) may go: a path on
this site, by construction.

Browsers are lenient in ways a prefix check forgets: they drop tabs and newlines anywhere in a
URL, strip leading control characters and spaces, and read a backslash as a slash, so
`/\\evil.com` or `/\\t/evil.com` mean `//evil.com`, another host. Rather than guess which
variants are dangerous, anything unusual is refused and what passes is rebuilt from its parsed
path and query alone.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MAX_LENGTH = 2000
# C0 and C1 controls, DEL, the unicode line and paragraph separators, and the backslash
_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]")


def same_site_path(target: str | None) -> str | None:
    """`target` as a normalised path (and query) on this site, or None when it is anything
    else: empty, too long, with a scheme or a host, or with characters a browser would rewrite."""
    if not target or len(target) > MAX_LENGTH or _REFUSED.search(target):
        return None
    # one leading slash and then not another: "//host" is a host, whatever follows
    if not target.startswith("/") or target.startswith("//"):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    # what the path says once decoded must pass too (a proxy or a framework may decode it)
    decoded = unquote(parts.path)
    if _REFUSED.search(decoded) or decoded.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))
