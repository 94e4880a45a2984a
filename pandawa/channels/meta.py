"""WhatsApp Cloud API (Meta): webhook verification, signatures and payloads in, Graph sends out.

Built on plain `requests` against the documented wire format, not on a client library:
`requests` is already a dependency (the media fetcher uses it), the Cloud API is a handful of
JSON calls (POST /{phone-number-id}/messages, GET /{media-id}), and the webhook must be checked
on the raw body before anything parses it. `pywa` would bring its own webhook server
integration, types and an httpx dependency for what is here some 300 lines; it is worth a look
if interactive flows or catalog messages are ever sent, not for this provider.

The address of a WhatsApp user is kept as Twilio writes it (`whatsapp:+62…`), for a citizen and
for our numbers alike: an office's sender address routes a Meta number exactly as a Twilio one,
and a contact is keyed on (provider, address), so each conversation answers through the
provider its citizen wrote to.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from pandawa.channels.ingest import InboundMessage
from pandawa.channels.providers import (
    OutboundRequest,
    PermanentSendError,
    SendResult,
    SentRecord,
    TransientSendError,
    network_error,
)
from pandawa.channels.vcards import MAX_CONTACTS, MAX_PHONES
from pandawa.core.config import Settings

log = logging.getLogger(__name__)

PROVIDER = "meta"
WEBHOOK_PATH = "/webhooks/meta/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# the media types the Cloud API delivers by id (fetched through GET /{media-id})
MEDIA_TYPES = frozenset({"image", "document", "audio", "video", "sticker"})
KNOWN_TYPES = MEDIA_TYPES | {"text", "interactive", "button", "location", "contacts"}
# the Cloud API's own words for delivery states; `deleted` (the citizen deleted our message)
# moves nothing, as for any state we do not track
STATUSES = frozenset({"sent", "delivered", "read", "failed"})
# throughput and pair rate limits (130429, 131056, 80007, 4), Meta-side trouble (1, 2, 131000
# "something went wrong", 131016 service unavailable, 133004 server temporarily unavailable,
# 131057 account in maintenance): worth retrying. Every other code is the request's own fault
# or the recipient's state: 131047 re-engagement (outside the 24-hour window), 131026
# undeliverable, 131051 unsupported type, 132xxx template problems, 100 bad parameter, 190
# access token expired (an operator's fix, not a retry's), 368 policy block, …
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004})
# Meta allows one file per message; an image, a PDF or another document by public link
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


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


def address(wa_id: str) -> str:
    """A WhatsApp id (digits) as the address every part of Pandawa uses: `whatsapp:+62…`."""
    return "whatsapp:+" + "".join(c for c in str(wa_id) if c.isdigit())


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
            metadata = value.get("metadata") or {}
            ours = metadata.get("display_phone_number")
            if not ours:
                raise MalformedPayload("metadata.display_phone_number is required")
            names = {
                str(c.get("wa_id")): (c.get("profile") or {}).get("name")
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
    if (item.get("context") or {}).get("id"):
        extra["OriginalRepliedMessageSid"] = str(item["context"]["id"])
    body, media, flag = "", [], None
    detail = item.get(kind) if isinstance(item.get(kind), dict) else {}
    if kind == "text":
        body = str(detail.get("body") or "")
    elif kind == "interactive":
        # a reply button or a list row the citizen tapped: its title is what they "said"
        reply = detail.get("button_reply") or detail.get("list_reply") or {}
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


def _some(**values: Any) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value not in (None, "")}


def _contacts(cards: Any) -> list[dict]:
    found = []
    for card in cards if isinstance(cards, list) else []:
        if not isinstance(card, dict):
            continue
        name = card.get("name") or {}
        full = str(
            name.get("formatted_name")
            or " ".join(str(name[k]) for k in ("first_name", "last_name") if name.get(k))
        )
        phones: list[str] = []
        for phone in card.get("phones") or []:
            raw = str((phone or {}).get("phone") or (phone or {}).get("wa_id") or "")
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
        details = (error.get("error_data") or {}).get("details")
        message = str(details or error.get("message") or error.get("title") or "") or None
    return StatusReport(str(item["id"]), str(item["status"]).lower(), code, message)


# -- Graph API out ---------------------------------------------------------------------------

_sessions: dict[int, requests.Session] = {}
_sessions_lock = threading.Lock()


def http_session() -> requests.Session:
    """One keep-alive session per process, built on first use, not at import."""
    session = _sessions.get(os.getpid())
    if session is None:
        with _sessions_lock:
            session = _sessions.get(os.getpid())
            if session is None:
                session = requests.Session()
                session.trust_env = False  # no ~/.netrc credentials beside our token
                _sessions[os.getpid()] = session
    return session


def graph_url(settings: Settings, path: str) -> str:
    return f"{settings.meta_graph_api_base_url}/{settings.meta_graph_api_version}/{path}"


def phone_number_id(settings: Settings, sender: str) -> str | None:
    """The Cloud API id of our number `sender` (META_PHONE_NUMBER_ID: one id for every
    sender, or one per number)."""
    digits = "".join(c for c in sender if c.isdigit())
    fallback = None
    for number, number_id in settings.meta_phone_number_ids:
        if number == digits:
            return number_id
        if not number:
            fallback = number_id
    return fallback


@dataclass(frozen=True)
class MetaTemplate:
    name: str
    language: str


class MetaProvider:
    name = PROVIDER

    def __init__(
        self,
        settings: Settings,
        templates: Callable[[], Mapping[str, MetaTemplate]] | None = None,
    ) -> None:
        self.settings = settings
        # content_sid (the catalogue's template id) → Meta's template name and language,
        # asked only when a template goes out
        self.templates = templates or dict

    def send(self, request: OutboundRequest) -> SendResult:
        number_id = phone_number_id(self.settings, request.sender)
        if number_id is None:
            raise PermanentSendError("config", "META_PHONE_NUMBER_ID names no id for the sender")
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "".join(c for c in request.recipient if c.isdigit()),
            **self._content(request),
        }
        answer = self._post(f"{number_id}/messages", payload)
        messages = answer.get("messages") or [{}]
        message_id = messages[0].get("id")
        if not message_id:  # a 200 without the id: it may well have been sent
            raise TransientSendError("provider", "no message id in the answer", maybe_sent=True)
        return SendResult(provider_message_id=str(message_id), status="accepted")

    def find_recent(self, recipient: str, sender: str, since: datetime) -> list[SentRecord]:
        # The Cloud API lists no sent messages (there is no GET of a number's messages): an
        # attempt that may have reached Meta cannot be looked up, and is sent again
        return []

    def _content(self, request: OutboundRequest) -> dict:
        if request.content_sid:
            return {"type": "template", "template": self._template(request)}
        if request.media_urls:
            kind = _media_kind(request.media_types[0] if request.media_types else "")
            media: dict[str, str] = {"link": request.media_urls[0]}
            if request.body:
                media["caption"] = request.body
            if kind == "document" and request.media_names and request.media_names[0]:
                media["filename"] = request.media_names[0]
            return {"type": kind, kind: media}
        return {"type": "text", "text": {"body": request.body or "", "preview_url": False}}

    def _template(self, request: OutboundRequest) -> dict:
        template = self.templates().get(request.content_sid or "")
        if template is None:
            raise PermanentSendError(
                "template", f"no Meta template for {request.content_sid} in the catalogue"
            )
        variables = request.content_variables or {}
        ordered = [variables[key] for key in sorted(variables, key=_numeric)]
        body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
        if ordered:
            body["components"] = [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": str(v)} for v in ordered],
                }
            ]
        return body

    def _post(self, path: str, payload: dict) -> dict:
        timeout = self.settings.twilio_timeout_seconds
        try:
            response = http_session().post(
                graph_url(self.settings, path),
                json=payload,
                headers={"Authorization": f"Bearer {self.settings.meta_access_token}"},
                timeout=(timeout, timeout),
            )
        except requests.RequestException as exc:
            raise network_error(exc) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 400 or "error" in answer:
            raise classify(response.status_code, answer, response.headers.get("Retry-After"))
        return answer if isinstance(answer, dict) else {}


def classify(
    status: int, answer: Any, retry_after: str | None = None
) -> PermanentSendError | TransientSendError:
    """A Graph API error answer as a permanent or transient send error, with Meta's code."""
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    details = (error.get("error_data") or {}).get("details") if error else None
    message = str(details or error.get("message") or f"HTTP {status}")[:300]
    try:
        numeric = int(code) if code is not None else None
    except (TypeError, ValueError):
        numeric = None
    label = str(code if code is not None else status)
    if status == 429 or status >= 500 or numeric in TRANSIENT_CODES:
        try:
            wait = max(float(retry_after), 0.0) if retry_after else None
        except ValueError:
            wait = None
        return TransientSendError(label, message, retry_after=wait)
    return PermanentSendError(label, message)


def _media_kind(content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    if kind in IMAGE_TYPES:
        return "image"
    if kind.startswith("video/"):
        return "video"
    if kind.startswith("audio/"):
        return "audio"
    return "document"


def _numeric(key: str) -> tuple[int, str]:
    return (int(key), "") if str(key).isdigit() else (10**6, str(key))
