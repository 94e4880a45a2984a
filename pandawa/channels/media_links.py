"""Signed, expiring links to the files we send: the provider fetches an outbound message's
file from `PUBLIC_BASE_URL/media/out/<token>` without signing in, as Twilio fetches any
`MediaUrl`.

The token names the message and the item (never the file), with when it stops working,
signed with SECRET_KEY (itsdangerous, its own salt). It is made when the send is attempted,
not when the agent uploads: a message held until the citizen writes again, or retried an hour
later, goes out with a fresh link. A tampered token reads as unknown (404), an old one as gone
(410); the expiry is checked against the injectable clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from pandawa.core import clock
from pandawa.core.config import Settings

ROUTE = "/media/out/<token>"
SALT = "pandawa.media.out"


class LinkUnknown(Exception):
    """Not a token we signed (tampered, truncated, another key)."""


class LinkExpired(Exception):
    """A token we signed whose time is over."""


@dataclass(frozen=True)
class Link:
    message_id: int
    index: int


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def media_url(settings: Settings, message_id: int, index: int) -> str:
    """The public URL of item `index` of outbound message `message_id`, valid for
    ATTACHMENT_URL_SECONDS from now."""
    expires = int(clock.now().timestamp()) + settings.attachment_url_seconds
    token = _serializer(settings).dumps([message_id, index, expires])
    return f"{settings.public_base_url}/media/out/{token}"


def read_token(settings: Settings, token: str) -> Link:
    try:
        payload: Any = _serializer(settings).loads(token)
    except BadSignature:
        raise LinkUnknown from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in payload)
    ):
        raise LinkUnknown
    message_id, index, expires = payload
    if clock.now().timestamp() >= expires:
        raise LinkExpired
    return Link(message_id=message_id, index=index)


def outbound_media_urls(settings: Settings, message_id: int, media: list | None) -> tuple[str, ...]:
    """The URLs of a row's stored files, in order: what the provider is told to fetch."""
    return tuple(
        media_url(settings, message_id, index)
        for index, item in enumerate(media or [])
        if isinstance(item, dict) and item.get("status") == "stored"
    )
