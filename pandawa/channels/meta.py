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

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from pandawa.channels.providers import (
    OutboundRequest,
    PermanentSendError,
    SendResult,
    SentRecord,
    TransientSendError,
    network_error,
)
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


def address(wa_id: str) -> str:
    """A WhatsApp id (digits) as the address every part of Pandawa uses: `whatsapp:+62…`."""
    return "whatsapp:+" + "".join(c for c in str(wa_id) if c.isdigit())


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
