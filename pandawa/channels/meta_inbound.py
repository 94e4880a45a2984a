"""A WhatsApp Cloud API webhook, read: the verification handshake, the `X-Hub-Signature-256`
check on the raw body, and the notification's messages and statuses as Pandawa stores them.

Every kind of message is kept as Twilio's path keeps it, under Twilio's names where the
meaning is the same (`ProfileName`, `WaId`, `ButtonPayload`, `Latitude`, …): a tapped button
or list row reads as its title, a shared contact as the cards a fetched vCard gives, a file
as its media id (fetched later, `channels.meta_media`), an unknown kind stored but flagged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pandawa.channels.ingest import InboundMessage
from pandawa.channels.meta import KNOWN_TYPES, MEDIA_TYPES, PROVIDER, address
from pandawa.channels.vcards import MAX_CONTACTS, MAX_PHONES
from pandawa.core.config import Settings

# -- webhooks in -----------------------------------------------------------------------------


def signature_valid(settings: Settings, raw_body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the app secret>`."""
    if not header or not settings.meta_app_secret:
        return False
    scheme, _, digest = header.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(settings.meta_app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


def verification_challenge(settings: Settings, args: Mapping[str, str]) -> str | None:
    """The `hub.challenge` to echo when Meta verifies the endpoint with our verify token."""
    token = args.get("hub.verify_token") or ""
    if (
        args.get("hub.mode") != "subscribe"
        or not settings.meta_verify_token
        or not hmac.compare_digest(token.encode(), settings.meta_verify_token.encode())
    ):
        return None
    return args.get("hub.challenge") or None


class MalformedPayload(ValueError):
    """The JSON is not a Cloud API notification we can read (answered 400 with the reason)."""


@dataclass(frozen=True)
class StatusReport:
    provider_message_id: str
    status: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class Notification:
    """One webhook POST: the messages (in Meta's `timestamp` order) and the status reports."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)


def parse_notification(payload: Any) -> Notification:
    """Read `entry[].changes[].value.messages[]` and `…statuses[]` (fetches nothing)."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise MalformedPayload("object: expected whatsapp_business_account")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("entry: expected a list")
    found = Notification()
    for entry in entries:
        for change in _list(entry, "changes"):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field", "messages") != "messages":
                continue
            metadata = _dict(value.get("metadata"))
            ours = metadata.get("display_phone_number")
            if not ours:
                raise MalformedPayload("metadata.display_phone_number is required")
            names = {
                str(c.get("wa_id")): _dict(c.get("profile")).get("name")
                for c in _list(value, "contacts")
                if isinstance(c, dict)
            }
            for item in _list(value, "messages"):
                found.messages.append(_message(item, address(ours), metadata, names))
            for item in _list(value, "statuses"):
                found.statuses.append(_status(item))
    found.messages.sort(key=lambda m: m.sent_at or datetime.min.replace(tzinfo=UTC))
    return found


def _list(container: Any, key: str) -> list:
    value = container.get(key) if isinstance(container, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"{key}: expected a list")
    return value


def _message(item: Any, ours: str, metadata: dict, names: dict) -> InboundMessage:
    if not isinstance(item, dict) or not item.get("id") or not item.get("from"):
        raise MalformedPayload("messages[]: id and from are required")
    kind = str(item.get("type") or "unknown")
    extra: dict[str, Any] = {"WaId": str(item["from"])}
    if names.get(str(item["from"])):
        extra["ProfileName"] = names[str(item["from"])]
    if metadata.get("phone_number_id"):
        extra["PhoneNumberId"] = str(metadata["phone_number_id"])
    if _dict(item.get("context")).get("id"):
        extra["OriginalRepliedMessageSid"] = str(item["context"]["id"])
    body, media, flag = "", [], None
    detail = _dict(item.get(kind))
    if kind == "text":
        body = str(detail.get("body") or "")
    elif kind == "interactive":
        # a reply button or a list row the citizen tapped: its title is what they "said"
        reply = _dict(detail.get("button_reply") or detail.get("list_reply"))
        body = str(reply.get("title") or reply.get("id") or "")
        extra.update(_some(ButtonPayload=reply.get("id"), ButtonText=reply.get("title")))
    elif kind == "button":  # a template's quick-reply button
        body = str(detail.get("text") or detail.get("payload") or "")
        extra.update(_some(ButtonPayload=detail.get("payload"), ButtonText=detail.get("text")))
    elif kind in MEDIA_TYPES:
        body = str(detail.get("caption") or "")
        if detail.get("id"):
            media = [
                {
                    "media_id": str(detail["id"]),
                    "content_type": str(detail.get("mime_type") or ""),
                    **_some(filename=detail.get("filename")),
                }
            ]
        else:
            flag = "unsupported: media without id"
    elif kind == "location":
        body = str(detail.get("name") or detail.get("address") or "")
        extra.update(
            _some(
                Latitude=detail.get("latitude"),
                Longitude=detail.get("longitude"),
                Address=detail.get("address"),
                Label=detail.get("name"),
            )
        )
    elif kind == "contacts":
        # Meta sends the cards as structured data: kept as a fetched vCard would be
        extra["contacts"] = _contacts(item.get("contacts"))
    if kind not in KNOWN_TYPES:
        flag = f"unsupported: {kind}"[:200]
    return InboundMessage(
        provider=PROVIDER,
        provider_message_id=str(item["id"]),
        sender=address(item["from"]),
        recipient=ours,
        body=body,
        message_type=kind[:32],
        media=media,
        extra=extra,
        sent_at=_timestamp(item.get("timestamp")),
        flag=flag,
    )


def _dict(value: Any) -> dict:
    """A JSON object, or an empty one for anything else: a field of an unexpected shape is
    read as absent, never a 500."""
    return value if isinstance(value, dict) else {}


def _some(**values: Any) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value not in (None, "")}


def _contacts(cards: Any) -> list[dict]:
    found = []
    for card in cards if isinstance(cards, list) else []:
        if not isinstance(card, dict):
            continue
        name = _dict(card.get("name"))
        full = str(
            name.get("formatted_name")
            or " ".join(str(name[k]) for k in ("first_name", "last_name") if name.get(k))
        )
        phones: list[str] = []
        phones_given = card.get("phones")
        for phone in phones_given if isinstance(phones_given, list) else []:
            raw = str(_dict(phone).get("phone") or _dict(phone).get("wa_id") or "")
            digits = "".join(c for c in raw if c.isdigit() or c == "+")
            if sum(c.isdigit() for c in digits) >= 3 and digits not in phones:
                phones.append(digits[:32])
        if (full or phones) and len(found) < MAX_CONTACTS:
            found.append({"name": full[:200], "phones": phones[:MAX_PHONES]})
    return found


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _status(item: Any) -> StatusReport:
    if not isinstance(item, dict) or not item.get("id") or not item.get("status"):
        raise MalformedPayload("statuses[]: id and status are required")
    code = message = None
    errors = item.get("errors") if isinstance(item.get("errors"), list) else []
    if errors and isinstance(errors[0], dict):
        error = errors[0]
        code = str(error.get("code") or "") or None
        details = _dict(error.get("error_data")).get("details")
        message = str(details or error.get("message") or error.get("title") or "") or None
    return StatusReport(str(item["id"]), str(item["status"]).lower(), code, message)
