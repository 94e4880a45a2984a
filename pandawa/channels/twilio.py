"""Twilio: webhook signatures and payloads in, REST sends out (the official `twilio` library).

Signatures are checked against PUBLIC_BASE_URL + the request path, never the Host header, so
they validate behind a TLS-terminating proxy and for every number of a sender pool.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from flask import Request
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator, compare
from twilio.rest import Client

from pandawa.channels.ingest import InboundMessage
from pandawa.channels.providers import (
    SERVICE_FIELD,
    OutboundRequest,
    PermanentSendError,
    SendResult,
    SentRecord,
    TransientSendError,
    network_error,
)
from pandawa.core import clock
from pandawa.core.config import Settings

log = logging.getLogger(__name__)

PROVIDER = "twilio"
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
# what WhatsApp delivers through Twilio's MessageType; anything else is stored but flagged
KNOWN_TYPES = frozenset(
    {
        "text",
        "image",
        "document",
        "audio",
        "video",
        "location",
        "contacts",
        "sticker",
        "button",
        "interactive",
    }
)
MAX_MEDIA = 10  # Twilio sends at most 10 media items per message
EXTRA_FIELDS = (
    "ProfileName",
    "WaId",
    "OriginalRepliedMessageSid",
    "ButtonPayload",
    "ButtonText",
    "Latitude",
    "Longitude",
    "Address",
    "Label",
    # the Messaging Service the message came through (its sender pool): replies name it too
    SERVICE_FIELD,
)
# rate limits (20429 REST API, 14107 SMS per-number, 63017 account, 63018 WhatsApp channel)
# and Twilio-side outages: worth retrying; every other 4xx is the request's own fault
TRANSIENT_CODES = frozenset({20429, 14107, 63017, 63018, 20500, 20503})


# -- webhooks in -----------------------------------------------------------------------------


def signature_valid(settings: Settings, request: Request) -> bool:
    signature = request.headers.get("X-Twilio-Signature")
    if not signature or not settings.twilio_auth_token:
        return False
    url = settings.public_base_url + request.full_path.rstrip("?")
    validator = RequestValidator(settings.twilio_auth_token)
    # the URL as configured first: one HMAC for the usual request. `validate` tries the URL
    # with and without its port (Twilio signs either), two HMACs, only when that fails.
    if compare(validator.compute_signature(url, request.form), signature):
        return True
    return validator.validate(url, request.form, signature)


def inbound_from_form(form: Mapping[str, str]) -> InboundMessage:
    """Turn Twilio's inbound webhook form into an InboundMessage (fetches nothing)."""
    flag: str | None = None
    try:
        declared = int(form.get("NumMedia") or 0)
    except ValueError:
        declared, flag = 0, "unsupported: NumMedia not a number"
    media = []
    for i in range(min(max(declared, 0), MAX_MEDIA)):
        url = form.get(f"MediaUrl{i}")
        if url:
            media.append({"url": url, "content_type": form.get(f"MediaContentType{i}") or ""})
    extra = {name: form[name] for name in EXTRA_FIELDS if form.get(name)}

    message_type = (form.get("MessageType") or "").strip().lower() or _derived_type(form, media)
    if message_type not in KNOWN_TYPES:
        flag = f"unsupported: {message_type}"
    elif declared > 0 and len(media) < min(declared, MAX_MEDIA):
        # view-once and other media WhatsApp does not pass on arrive without a URL
        flag = "unsupported: media without URL"
    return InboundMessage(
        provider=PROVIDER,
        provider_message_id=form["MessageSid"],
        sender=form["From"],
        recipient=form["To"],
        body=form.get("Body") or "",
        message_type=message_type,
        media=media,
        extra=extra,
        flag=flag,
    )


def _derived_type(form: Mapping[str, str], media: list[dict]) -> str:
    if form.get("Latitude") and form.get("Longitude"):
        return "location"
    if media:
        kind = media[0]["content_type"].partition("/")[0]
        return kind if kind in ("image", "audio", "video") else "document"
    return "text"


# -- REST out --------------------------------------------------------------------------------


class _HttpClient(TwilioHttpClient):
    """Remembers the last response's headers per thread, for Retry-After on a 429."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.local = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self.local.headers = None
        response = super().request(*args, **kwargs)
        self.local.headers = response.headers
        return response


_clients: dict[tuple, Client] = {}
_clients_lock = threading.Lock()


def rest_client(settings: Settings) -> Client:
    """One REST client per process (and per settings), built on first use, not at import."""
    key = (
        os.getpid(),
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_api_base_url,
        settings.twilio_timeout_seconds,
    )
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = Client(
                    settings.twilio_account_sid,
                    settings.twilio_auth_token,
                    http_client=_HttpClient(timeout=settings.twilio_timeout_seconds),
                )
                # every 2010-04-01 resource is built from this Domain's base_url
                client.api.base_url = settings.twilio_api_base_url
                # load the Messages resource now: lazily it costs the first send ~50 ms and
                # makes it late for its pacing slot
                _ = client.api.v2010.account.messages
                _clients[key] = client
    return client


class TwilioProvider:
    name = PROVIDER

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def _client(self) -> Client:
        return rest_client(self.settings)

    def send(self, request: OutboundRequest) -> SendResult:
        params: dict[str, Any] = {
            "to": request.recipient,
            "from_": request.sender,
            "status_callback": request.status_callback
            or self.settings.public_base_url + STATUS_CALLBACK_PATH,
        }
        if request.service_id:
            # the citizen wrote through a Messaging Service: the reply names it too, and keeps
            # From, which Twilio allows "instead of or in addition to" the service. Without
            # From the pool would choose the sender, and another number of the pool is another
            # office, and another 24-hour window (a free-form reply there fails with 63016)
            params["messaging_service_sid"] = request.service_id
        if request.content_sid:
            # an approved template (outside the 24-hour window): no Body then
            params["content_sid"] = request.content_sid
            if request.content_variables:
                params["content_variables"] = json.dumps(request.content_variables)
        elif request.media_urls:
            # a file (Twilio fetches each URL); the body, when there is one, is its caption
            params["media_url"] = list(request.media_urls)
            if request.body:
                params["body"] = request.body
        else:
            params["body"] = request.body or ""
        try:
            message = self._client.api.v2010.account.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise self._classify(exc) from exc
        except requests.RequestException as exc:
            raise network_error(exc) from exc
        except TwilioException as exc:  # e.g. an unreadable answer: it may have been sent
            raise TransientSendError("provider", type(exc).__name__, maybe_sent=True) from exc
        return SendResult(provider_message_id=message.sid, status=str(message.status or "queued"))

    def find_recent(self, recipient: str, sender: str, since: datetime) -> list[SentRecord]:
        # Filtered by To/From only: DateSent is empty while a message is still queued at Twilio,
        # which is exactly the message we look for. One page (newest first) is plenty.
        try:
            page = self._client.api.v2010.account.messages.page(
                to=recipient,
                from_=sender,
                page_size=50,
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise self._classify(exc) from exc
        except requests.RequestException as exc:
            raise network_error(exc) from exc
        return [
            SentRecord(
                provider_message_id=m.sid,
                body=m.body,
                content_sid=None,
                created_at=m.date_created,
                status=str(m.status) if m.status else None,
            )
            for m in page
            if m.date_created is None or m.date_created >= since
        ]

    def _classify(self, exc: TwilioRestException | TwilioServiceException) -> Exception:
        status = int(exc.status or 0)
        code = exc.code or status
        message = str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or "")[:300]
        if status == 429 or status >= 500 or code in TRANSIENT_CODES:
            return TransientSendError(str(code), message, retry_after=self._retry_after())
        return PermanentSendError(str(code), message)

    def _retry_after(self) -> float | None:
        headers = getattr(rest_client(self.settings).http_client.local, "headers", None)
        value = (headers or {}).get("Retry-After")
        if not value:
            return None
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
        try:
            return max((parsedate_to_datetime(value) - clock.now()).total_seconds(), 0.0)
        except (TypeError, ValueError):
            return None
