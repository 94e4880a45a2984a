"""Media a citizen sends through a Meta number: fetched through the Graph API with our token.

A Cloud API message names its file by id only. `GET /{version}/{media-id}` (Bearer token)
answers `{"url", "mime_type", "file_size", …}`; the url (on Meta's CDN, lookaside.fbsbx.com,
valid for minutes) is fetched with the same token. Then the same checks, limits and store as
Twilio's media (`channels.media`): the declared and served types, MEDIA_MAX_BYTES, the bytes
checked against the type, contact cards parsed. The token goes only to the Graph API's own
origin and to Meta's CDN hosts over https; a redirect is never followed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

from pandawa.channels.media import (
    Outcome,
    TransientFetchError,
    check_length,
    kind_and_limit,
    normal_type,
    read_vcard,
    store_response,
)
from pandawa.channels.media_store import STORED_TYPES
from pandawa.channels.meta import graph_url
from pandawa.core.config import Settings

# where Meta serves media downloads (exact names and their subdomains, https only)
CDN_SUFFIXES = ("fbsbx.com", "facebook.com", "whatsapp.net", "fbcdn.net")


def fetch_item(item: dict, settings: Settings, http: requests.Session) -> dict:
    """The keys to record on `item` (a `{"media_id", "content_type"}` of a Meta message).
    Raises TransientFetchError when a retry may help."""
    media_id = str(item.get("media_id") or "")
    if not media_id.isdigit():
        return {"status": "refused", "reason": "not a Graph API media id"}
    declared = normal_type(item.get("content_type"))
    is_vcard, limit = kind_and_limit(declared, settings)
    if limit is None:  # nothing to fetch: an agent could not be shown it
        return {"status": "unsupported_type", "reason": f"type {declared or 'unknown'}"}
    deadline = time.monotonic() + 4 * settings.twilio_timeout_seconds
    try:
        url, size = _resolve(http, media_id, settings)
        if size is not None and size > limit:
            raise Outcome("too_large", f"{size} bytes; the limit is {limit}")
        with _download(http, url, settings) as response:
            served = normal_type(response.headers.get("Content-Type")) or declared
            check_length(response, limit)
            if is_vcard:
                return read_vcard(response, served, limit, deadline)
            if served not in STORED_TYPES:
                served = declared  # Meta's CDN often says application/octet-stream
            return store_response(response, served, settings, limit, deadline)
    except Outcome as outcome:
        return {"status": outcome.status, "reason": outcome.reason}
    except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        raise TransientFetchError("network") from None
    except requests.RequestException as exc:
        return {"status": "failed", "reason": f"request error {type(exc).__name__}"}


def download_allowed(url: str, settings: Settings) -> bool:
    """Meta's CDN over https, or the Graph API's own origin (a local fake in tests)."""
    parts = urlsplit(url)
    graph = urlsplit(settings.meta_graph_api_base_url)
    if parts.username or parts.password:
        return False
    if (parts.scheme, parts.netloc) == (graph.scheme, graph.netloc):
        return True
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(
        host == suffix or host.endswith("." + suffix) for suffix in CDN_SUFFIXES
    )


def _headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.meta_access_token}", "Accept-Encoding": "identity"}


def _resolve(http: requests.Session, media_id: str, settings: Settings) -> tuple[str, int | None]:
    timeout = settings.twilio_timeout_seconds
    response = http.get(
        graph_url(settings, media_id),
        headers=_headers(settings),
        allow_redirects=False,
        timeout=(timeout, timeout),
    )
    _check_status(response.status_code)
    try:
        answer = response.json()
    except ValueError:
        raise Outcome("failed", "the Graph API answered no JSON") from None
    url = answer.get("url") if isinstance(answer, dict) else None
    if not isinstance(url, str) or not download_allowed(url, settings):
        raise Outcome("refused", "the media URL is not on Meta's media host")
    size = answer.get("file_size")
    return url, int(size) if isinstance(size, int | str) and str(size).isdigit() else None


@contextmanager
def _download(http: requests.Session, url: str, settings: Settings) -> Iterator[requests.Response]:
    timeout = settings.twilio_timeout_seconds
    response = http.get(
        url,
        headers={**_headers(settings), "Accept": "*/*"},
        stream=True,
        allow_redirects=False,
        timeout=(timeout, timeout),
    )
    try:
        _check_status(response.status_code)
        yield response
    finally:
        response.close()


def _check_status(status: int) -> None:
    if status == 429 or status >= 500:
        raise TransientFetchError(f"provider answered {status}")
    if status != 200:
        raise Outcome("failed", f"provider answered {status}")
