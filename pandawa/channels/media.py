"""Media the citizen sends: fetched from the provider's media host only, checked, stored.

The webhook stores each item as `{"url", "content_type"}`; `channels.fetch_media` then turns
every item without a `status` into one of:

- `stored`: the bytes are in the store (`channels.media_store`), with `sha256`, `size`,
  `content_type` (checked against the bytes) and `stored_name`;
- `parsed`: a contact card (vCard, read by `channels.vcards`) in the message's
  `extra["contacts"]`;
- `refused` (not the provider's media host, or a redirect off Twilio's media CDN),
  `too_large`, `unsupported_type` or `failed`, each with a `reason`.

Only `https://api.twilio.com/2010-04-01/Accounts/<our SID>/Messages/<SM|MM…>/Media/<ME…>` is
ever requested (the host being TWILIO_API_BASE_URL's), with our credentials. Twilio answers it
with a redirect to a short-lived URL on its media CDN (mms.twiliocdn.com once HTTP auth is
enforced on media, which Twilio now does for all accounts); that hop is followed only to the
CDN hosts below or back to the API's own origin, and never carries the credentials.
"""

from __future__ import annotations

import errno
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import requests
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from pandawa.channels.media_store import STORED_TYPES, WrongBytes, store
from pandawa.channels.models import Message
from pandawa.channels.vcards import parse_vcards
from pandawa.core import clock
from pandawa.core.config import Settings

log = logging.getLogger(__name__)

FETCH_MEDIA_TASK = "channels.fetch_media"
# the simulator has no media host: nothing to fetch (Meta's: channels.meta_media)
FETCHING_PROVIDERS = frozenset({"twilio", "meta"})

TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic"}
VCARD_TYPES = frozenset({"text/vcard", "text/x-vcard", "text/directory"})
VCARD_MAX_BYTES = 256 * 1024

# Twilio's media CDN: where the API's media URL redirects to (HTTPS only, exact names)
CDN_HOSTS = frozenset({"mms.twiliocdn.com", "media.twiliocdn.com"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 2
CHUNK_BYTES = 64 * 1024
MEDIA_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})"
    r"/Messages/(?:SM|MM)[0-9a-fA-F]{32}/Media/ME[0-9a-fA-F]{32}$"
)


DISK_TROUBLE = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


class TransientFetchError(Exception):
    """Worth another try later: the provider's 5xx or 429, a timeout, a dropped connection."""


class Outcome(Exception):
    """A final answer for one item (refused, too large, …), raised from deep in a fetch."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class FetchRun:
    """What one run of the task found: item index → the keys to record on it."""

    results: dict[int, dict] = field(default_factory=dict)
    transient: str | None = None  # why some items are still pending (None: nothing is)


def fetches_for(settings: Settings, provider: str) -> bool:
    if provider not in FETCHING_PROVIDERS or provider not in settings.enabled_providers:
        return False
    if provider == "meta":
        return bool(settings.meta_access_token)
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def pending_indexes(media: list[dict] | None) -> list[int]:
    return [
        i for i, item in enumerate(media or []) if isinstance(item, dict) and not item.get("status")
    ]


def normal_type(value: str | None) -> str:
    kind = (value or "").split(";")[0].strip().lower()
    return TYPE_ALIASES.get(kind, kind)


# -- where we may go -------------------------------------------------------------------------


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def is_provider_media_url(url: str, settings: Settings) -> bool:
    """The API's own origin, the Media resource path, our account, no query or fragment."""
    if not isinstance(url, str) or _origin(url) != _origin(settings.twilio_api_base_url):
        return False
    parts = urlsplit(url)
    match = MEDIA_PATH.match(parts.path)
    return bool(
        match
        and match["account"] == settings.twilio_account_sid
        and not parts.query
        and not parts.fragment
    )


def redirect_allowed(url: str, settings: Settings) -> bool:
    origin = _origin(url)
    if origin is None:
        return False
    scheme, host, _port = origin
    return (scheme == "https" and host in CDN_HOSTS) or origin == _origin(
        settings.twilio_api_base_url
    )


# -- fetching --------------------------------------------------------------------------------


@contextmanager
def http_session() -> Iterator[requests.Session]:
    session = requests.Session()
    # no ~/.netrc credentials on any hop; proxies are still taken from the environment
    session.trust_env = False
    try:
        yield session
    finally:
        session.close()


def fetch_pending(
    media: list[dict],
    settings: Settings,
    http: requests.Session,
    fetch: Callable[[dict, Settings, requests.Session], dict] | None = None,
) -> FetchRun:
    """Fetch every item without a status (with `fetch`, a provider's own, default Twilio's
    `fetch_item`); an item that fails transiently stays pending."""
    run = FetchRun()
    for index in pending_indexes(media):
        try:
            run.results[index] = (fetch or fetch_item)(media[index], settings, http)
        except TransientFetchError as exc:
            run.transient = str(exc)
    return run


def kind_and_limit(declared: str, settings: Settings) -> tuple[bool, int | None]:
    """Whether a declared type is a contact card, and the largest file of it fetched; None:
    not fetched at all (voice notes, video, stickers: nothing an agent could be shown)."""
    is_vcard = declared in VCARD_TYPES
    if declared not in STORED_TYPES and not is_vcard:
        return is_vcard, None
    return is_vcard, min(
        settings.media_max_bytes, VCARD_MAX_BYTES
    ) if is_vcard else settings.media_max_bytes


def fetch_item(item: dict, settings: Settings, http: requests.Session) -> dict:
    """The keys to record on `item`. Raises TransientFetchError when a retry may help."""
    url = item.get("url") or ""
    if not is_provider_media_url(url, settings):
        return {"status": "refused", "reason": "not the provider's media host"}
    declared = normal_type(item.get("content_type"))
    is_vcard, limit = kind_and_limit(declared, settings)
    if limit is None:  # nothing to fetch: an agent could not be shown it
        return {"status": "unsupported_type", "reason": f"type {declared or 'unknown'}"}
    deadline = time.monotonic() + 4 * settings.twilio_timeout_seconds
    try:
        with _open(http, url, settings) as response:
            served = normal_type(response.headers.get("Content-Type")) or declared
            check_length(response, limit)
            if is_vcard:  # the card's own first line is checked, whatever the header says
                return read_vcard(response, served, limit, deadline)
            if served not in STORED_TYPES:
                raise Outcome("unsupported_type", f"served as {served}")
            return store_response(response, served, settings, limit, deadline)
    except Outcome as outcome:
        return {"status": outcome.status, "reason": outcome.reason}
    except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        raise TransientFetchError("network") from None
    except requests.RequestException as exc:
        return {"status": "failed", "reason": f"request error {type(exc).__name__}"}


@contextmanager
def _open(http: requests.Session, url: str, settings: Settings) -> Iterator[requests.Response]:
    timeout = settings.twilio_timeout_seconds
    auth: tuple[str, str] | None = (
        settings.twilio_account_sid or "",
        settings.twilio_auth_token or "",
    )
    for _hop in range(MAX_REDIRECTS + 1):
        response = http.get(
            url,
            auth=auth,
            stream=True,
            allow_redirects=False,
            timeout=(timeout, timeout),
            proxies=requests.utils.get_environ_proxies(url),
            headers={"Accept": "*/*", "Accept-Encoding": "identity"},
        )
        if response.status_code not in REDIRECT_STATUSES:
            break
        location = response.headers.get("Location") or ""
        response.close()
        url = urljoin(url, location)
        if not redirect_allowed(url, settings):
            raise Outcome("refused", "redirect outside the provider's media CDN")
        auth = None  # the CDN URL is signed; our credentials stay with the API
    else:
        raise Outcome("failed", "too many redirects")
    try:
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransientFetchError(f"provider answered {status}")
        if status != 200:
            raise Outcome("failed", f"provider answered {status}")
        yield response
    finally:
        response.close()


def check_length(response: requests.Response, limit: int) -> None:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Outcome("too_large", f"{declared} bytes; the limit is {limit}")


def _chunks(response: requests.Response, limit: int, deadline: float) -> Iterator[bytes]:
    size = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise Outcome("too_large", f"more than {limit} bytes")
        if time.monotonic() > deadline:  # a trickle that never ends holds the worker
            raise TransientFetchError("download too slow")
        yield chunk


def store_response(
    response: requests.Response, served: str, settings: Settings, limit: int, deadline: float
) -> dict:
    try:
        return store(_chunks(response, limit, deadline), served, settings)
    except WrongBytes as exc:
        raise Outcome("unsupported_type", str(exc)) from None
    except OSError as exc:
        # our disk is full, over quota or read-only: the operator frees it, the fetch retries
        if exc.errno in DISK_TROUBLE:
            raise TransientFetchError(f"media storage: {errno.errorcode[exc.errno]}") from None
        raise


# -- contact cards -----------------------------------------------------------------------------


def read_vcard(response: requests.Response, served: str, limit: int, deadline: float) -> dict:
    raw = b"".join(_chunks(response, limit, deadline))
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if not text[:11].upper() == "BEGIN:VCARD":
        raise Outcome("unsupported_type", f"served as {served or 'a vCard'}, not a vCard")
    contacts = parse_vcards(text)
    return {"status": "parsed", "content_type": "text/vcard", "contacts": contacts}


# -- recording -------------------------------------------------------------------------------


def record_results(session: Session, message_id: int, run: FetchRun) -> int:
    """Merge a run's results into the message under its row lock; returns how many items
    were recorded. An item another run recorded meanwhile is left as that run left it."""
    if not run.results:
        return 0
    message = session.scalars(
        select(Message)
        .where(Message.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if message is None:
        return 0
    media = [dict(item) if isinstance(item, dict) else item for item in message.media or []]
    contacts: list[dict] = []
    recorded = 0
    for index, result in sorted(run.results.items()):
        if index >= len(media) or media[index].get("status"):
            continue
        result = dict(result)
        if result.get("status") == "parsed":
            found = result.pop("contacts", [])
            contacts.extend(found)
            result["contacts"] = len(found)
        media[index] = {**media[index], **result}
        recorded += 1
        log.info("message %s media %s: %s", message_id, index, result["status"])
    if not recorded:
        return 0
    message.media = media  # a new list: the JSON column sees the change
    if contacts:
        extra = dict(message.extra or {})
        extra["contacts"] = [*extra.get("contacts", []), *contacts]
        message.extra = extra
    message.updated_at = clock.now()
    session.flush()
    return recorded


def give_up(media: list[dict], run: FetchRun, reason: str) -> None:
    """Retries are spent: the items still pending are recorded as failed."""
    for index in pending_indexes(media):
        run.results.setdefault(index, {"status": "failed", "reason": reason})


def stale_media_ids(
    session: Session, *, older_than: timedelta, within: timedelta, limit: int
) -> list[int]:
    """Inbound messages of the last `within` whose media still waits after `older_than`
    (their fetch task was never published: the broker was down at the webhook)."""
    at = clock.now()
    rows = session.execute(
        select(Message.id, Message.media)
        .where(
            Message.direction == "in",
            Message.provider.in_(FETCHING_PROVIDERS),
            Message.created_at <= at - older_than,
            Message.created_at >= at - within,
            cast(Message.media, Text) != "[]",
        )
        .order_by(Message.id)
    )
    found = []
    for message_id, media in rows:
        if pending_indexes(media):
            found.append(message_id)
            if len(found) >= limit:
                break
    return found
