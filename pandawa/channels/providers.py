"""The provider interface: what the outbox needs from Twilio, the simulator, or a later one.

A provider sends one message and can list what it recently sent to a recipient, so a row left
in `sending` by a crashed or timed-out attempt is checked before it is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import requests
from urllib3.exceptions import NewConnectionError

# the `extra` key of an inbound message that came through a provider's sender pool (Twilio's
# Messaging Service: its MessagingServiceSid, stored under Twilio's own name); a reply to that
# citizen is sent through the same pool
SERVICE_FIELD = "MessagingServiceSid"


@dataclass(frozen=True)
class OutboundRequest:
    sender: str
    recipient: str
    body: str | None
    content_sid: str | None = None
    content_variables: dict | None = None
    status_callback: str | None = None
    # the sender pool (Twilio Messaging Service SID) the citizen's last message came through
    service_id: str | None = None
    # public URLs the provider fetches the message's files from (signed, expiring)
    media_urls: tuple[str, ...] = ()
    # each file's type and display name, in the order of media_urls (Meta names the kind of
    # a file message, image or document, and a document's file name)
    media_types: tuple[str, ...] = ()
    media_names: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str


@dataclass(frozen=True)
class SentRecord:
    """A message the provider already holds (for matching a retried send)."""

    provider_message_id: str
    body: str | None
    content_sid: str | None
    created_at: datetime | None
    status: str | None = None  # the provider's current status, when it says


class SendError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = str(code)
        self.message = message


class TransientSendError(SendError):
    """Worth retrying later: rate limits, provider 5xx, timeouts, connection failures.

    `maybe_sent` is true when the request may have reached the provider (a read timeout, a
    connection dropped mid-request): the next attempt must look for it before sending again.
    """

    def __init__(
        self, code: str, message: str, retry_after: float | None = None, *, maybe_sent: bool = False
    ) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class PermanentSendError(SendError):
    """Retrying cannot help: invalid number, outside the 24-hour window, unsubscribed, …"""


class Provider(Protocol):
    name: str

    def send(self, request: OutboundRequest) -> SendResult: ...

    def find_recent(self, recipient: str, sender: str, since: datetime) -> list[SentRecord]: ...


def network_error(exc: requests.RequestException) -> TransientSendError:
    """A provider call that failed on the network: transient, and `maybe_sent` unless the
    request surely never left (a connect timeout, a refused connection)."""
    if isinstance(exc, requests.ConnectTimeout) or _refused(exc):
        # the request never left: safe to send again without looking first
        return TransientSendError("connection", type(exc).__name__)
    code = "timeout" if isinstance(exc, requests.Timeout) else "connection"
    return TransientSendError(code, type(exc).__name__, maybe_sent=True)


def _refused(exc: requests.RequestException) -> bool:
    if not isinstance(exc, requests.ConnectionError):
        return False
    seen: Any = exc
    while seen is not None:
        if isinstance(seen, NewConnectionError):
            return True
        reason = getattr(seen, "reason", None)
        if isinstance(reason, NewConnectionError):
            return True
        seen = seen.args[0] if seen.args and isinstance(seen.args[0], Exception) else None
    return False
