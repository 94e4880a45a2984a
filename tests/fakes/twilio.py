"""A small local server that speaks Twilio's REST wire format (the parts Pandawa uses).

Only Twilio itself is faked; the real `twilio` client talks to this over HTTP, pointed here
by TWILIO_API_BASE_URL. It records what it was sent and can be told to fail.

It also serves inbound media as Twilio does: the Media resource URL (HTTP basic auth) answers
with a 307 to a short-lived CDN URL (here `/cdn/<token>` on the fake itself, no auth).

And it fetches outbound media as Twilio does: each `MediaUrl` of a message creation is fetched
(HEAD, then GET, no credentials, redirects followed) before the creation is answered, and
checked as Twilio checks it — a 200, a Content-Type WhatsApp accepts that matches the bytes,
at most 5 MB for an image and 16 MB in all. A failed fetch fails the message (error 63019,
"Media failed to download"): the fake keeps the status callback Twilio would post, for the test
to deliver (`flush_callbacks`). `route_public(public, actual)` plays DNS: the app's public base
URL is reached at the test server's address.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from twilio.request_validator import RequestValidator

_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


@dataclass
class SentMessage:
    sid: str
    to: str
    from_: str
    body: str | None
    content_sid: str | None
    content_variables: str | None
    status_callback: str | None
    date_created: datetime
    form: dict = field(default_factory=dict)
    # time.monotonic() when the creation request reached the fake (for pacing checks)
    arrived: float = 0.0
    # the MessagingServiceSid the request named (the sender pool), or None
    messaging_service_sid: str | None = None
    # what the fake fetched from each MediaUrl, in order
    media: list[MediaFetch] = field(default_factory=list)
    status: str = "queued"
    error_code: int | None = None


# Twilio: WhatsApp images at most 5 MB, a message at most 16 MB
# (twilio.com/docs/whatsapp/guidance-whatsapp-media-messages)
WHATSAPP_IMAGE_LIMIT = 5 * 1024 * 1024
WHATSAPP_MESSAGE_LIMIT = 16 * 1024 * 1024
WHATSAPP_MEDIA_TYPES = ("image/jpeg", "image/png", "application/pdf")
MEDIA_DOWNLOAD_FAILED = 63019


@dataclass
class MediaFetch:
    """One fetch of a MediaUrl, as the provider made it."""

    url: str  # the MediaUrl as the message named it
    status: int | None  # the GET's status; None: unreachable
    head_status: int | None
    content_type: str | None
    content_disposition: str | None
    content: bytes
    problem: str | None = None  # why Twilio would refuse it; None: fine


@dataclass
class Failure:
    status: int
    code: int
    message: str
    times: int
    retry_after: str | None = None


@dataclass
class FakeMedia:
    content: bytes
    content_type: str
    redirect_to: str | None = None  # a Location other than the fake's CDN
    send_length: bool = True  # False: no Content-Length, the body ends when the line closes
    token: str = ""


@dataclass
class MediaRequest:
    path: str
    hop: str  # "api" (the Media resource) or "cdn"
    authorization: str | None


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str, host: str = "127.0.0.1") -> None:
        self.host = host  # the address it listens on (bench/cluster.py: the hosts' bridge)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[SentMessage] = []
        self.requests: list[tuple[str, str]] = []
        self._failures: list[Failure] = []
        self.media: dict[str, FakeMedia] = {}
        self.media_requests: list[MediaRequest] = []
        self._media_failures: list[int] = []
        self._delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        # Messaging Services (MG…) and their sender pools: `add_service`
        self.services: dict[str, list[str]] = {}
        # the fake's idea of "now" for date_created; tests align it with the app's FixedClock
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        # outbound media: public base URL → where it is served in the test; fetches made; a
        # hook run before each fetch (a test moves its clock there: "Twilio fetched late")
        self.public_routes: dict[str, str] = {}
        self.fetches: list[MediaFetch] = []
        self.before_fetch: Callable[[str], None] | None = None
        self.pending_callbacks: list[tuple[str, dict[str, str]]] = []

    # -- control -----------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self._failures.clear()
            self.media.clear()
            self.media_requests.clear()
            self._media_failures.clear()
            self.services.clear()
            self._delay = 0.0
            self.now = lambda: datetime.now(UTC)
            self.public_routes.clear()
            self.fetches.clear()
            self.before_fetch = None
            self.pending_callbacks.clear()

    def fail_next(
        self,
        status: int,
        code: int,
        message: str = "error",
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        """The next `times` message creations answer with this Twilio error (and, given
        `retry_after`, a Retry-After header)."""
        with self._lock:
            self._failures.append(Failure(status, code, message, times, retry_after))

    def add_message(
        self,
        to: str,
        from_: str,
        body: str | None = None,
        *,
        content_sid: str | None = None,
        date_created: datetime | None = None,
    ) -> SentMessage:
        """Seed a message as if an earlier request had created it (e.g. a send whose answer
        never reached the caller)."""
        sent = SentMessage(
            sid="SM" + uuid.uuid4().hex,
            to=to,
            from_=from_,
            body=body,
            content_sid=content_sid,
            content_variables=None,
            status_callback=None,
            date_created=date_created or self.now(),
            form={},
            arrived=time.monotonic(),
        )
        with self._lock:
            self.messages.append(sent)
        return sent

    def add_service(self, sid: str, senders: list[str]) -> None:
        """A Messaging Service `sid` (MG…) whose sender pool holds `senders`: a message created
        with its MessagingServiceSid and no From goes from the pool's first sender."""
        with self._lock:
            self.services[sid] = list(senders)

    def add_media(
        self,
        content: bytes,
        content_type: str,
        *,
        redirect_to: str | None = None,
        send_length: bool = True,
        message_sid: str | None = None,
    ) -> str:
        """Serve `content` as a media item of an inbound message; returns its MediaUrl."""
        message_sid = message_sid or "MM" + uuid.uuid4().hex
        path = (
            f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}"
            f"/Media/ME{uuid.uuid4().hex}"
        )
        with self._lock:
            self.media[path] = FakeMedia(
                content, content_type, redirect_to, send_length, token=uuid.uuid4().hex
            )
        return self.url + path

    def fail_media(self, status: int, times: int = 1) -> None:
        """The next `times` Media resource requests answer `status`."""
        with self._lock:
            self._media_failures.extend([status] * times)

    def route_public(self, public_base: str, actual_base: str) -> None:
        """Reach URLs under `public_base` at `actual_base` (the public name's DNS, in effect)."""
        self.public_routes[public_base.rstrip("/")] = actual_base.rstrip("/")

    def _resolve(self, url: str) -> str:
        for public, actual in self.public_routes.items():
            if url == public or url.startswith(public + "/"):
                return actual + url[len(public) :]
        return url

    def fetch(self, url: str) -> MediaFetch:
        """Fetch one MediaUrl as Twilio does (HEAD, then GET; no credentials) and judge it."""
        if self.before_fetch is not None:
            self.before_fetch(url)
        target = self._resolve(url)
        try:
            head = requests.head(target, timeout=10, allow_redirects=True)
            got = requests.get(target, timeout=10, allow_redirects=True)
        except requests.RequestException:
            found = MediaFetch(url, None, None, None, None, b"", "unreachable")
        else:
            kind = (got.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            found = MediaFetch(
                url,
                got.status_code,
                head.status_code,
                kind or None,
                got.headers.get("Content-Disposition"),
                got.content if got.status_code == 200 else b"",
            )
            found.problem = _media_problem(found)
        with self._lock:
            self.fetches.append(found)
        return found

    def flush_callbacks(self) -> list[int]:
        """Post the status callbacks kept since (signed as Twilio signs them, to the public
        URL's route); the answers' status codes."""
        with self._lock:
            pending, self.pending_callbacks = self.pending_callbacks, []
        answers = []
        for url, form in pending:
            signature = RequestValidator(self.auth_token).compute_signature(url, form)
            answer = requests.post(
                self._resolve(url), data=form, headers={"X-Twilio-Signature": signature}, timeout=10
            )
            answers.append(answer.status_code)
        return answers

    def creations(self) -> int:
        """How many message-creation requests arrived (answered or failed)."""
        return sum(1 for method, path in self.requests if method == "POST")

    def delay_responses(self, seconds: float) -> None:
        self._delay = seconds

    def sent_to(self, to: str) -> list[SentMessage]:
        with self._lock:
            return [m for m in self.messages if m.to == to]

    def wait_for(self, predicate, timeout: float = 20.0) -> list[SentMessage]:
        """Wait until predicate(messages) is true; return the messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                snapshot = list(self.messages)
            if predicate(snapshot):
                return snapshot
            time.sleep(0.05)
        raise AssertionError(f"fake Twilio: condition not met in {timeout}s; got {snapshot!r}")

    # -- behaviour ----------------------------------------------------------
    def arrivals(self) -> list[float]:
        """Monotonic arrival times of the created messages, in arrival order."""
        with self._lock:
            return sorted(m.arrived for m in self.messages)

    def _create(
        self, form: dict[str, str], arrived: float = 0.0, media_urls: list[str] | None = None
    ) -> tuple[int, dict, dict]:
        # fetched before the lock (the app serving them may call back into this fake)
        fetched = [self.fetch(url) for url in media_urls or []]
        with self._lock:
            if self._failures:
                failure = self._failures[0]
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.pop(0)
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return (
                    failure.status,
                    {
                        "code": failure.code,
                        "message": failure.message,
                        "more_info": f"https://www.twilio.com/docs/errors/{failure.code}",
                        "status": failure.status,
                    },
                    headers,
                )
            sender_error, sender = self._sender(form)
            if sender_error is not None:
                return 400, sender_error, {}
            if not form.get("Body") and not form.get("ContentSid") and not form.get("MediaUrl"):
                return (
                    400,
                    {
                        "code": 21619,
                        "message": "A text message body or media urls must be specified.",
                        "more_info": "",
                        "status": 400,
                    },
                    {},
                )
            template_error = _template_error(form)
            if template_error is not None:
                return 400, template_error, {}
            sent = SentMessage(
                sid="SM" + uuid.uuid4().hex,
                to=form["To"],
                from_=sender,
                body=form.get("Body"),
                content_sid=form.get("ContentSid"),
                content_variables=form.get("ContentVariables"),
                status_callback=form.get("StatusCallback"),
                date_created=self.now(),
                form=dict(form),
                arrived=arrived,
                messaging_service_sid=form.get("MessagingServiceSid"),
                media=fetched,
            )
            if any(f.problem for f in fetched) or _too_large(fetched):
                sent.status, sent.error_code = "failed", MEDIA_DOWNLOAD_FAILED
                if sent.status_callback:
                    self.pending_callbacks.append(
                        (
                            sent.status_callback,
                            {
                                "MessageSid": sent.sid,
                                "MessageStatus": "failed",
                                "ErrorCode": str(MEDIA_DOWNLOAD_FAILED),
                                "AccountSid": self.account_sid,
                                "From": sent.from_,
                                "To": sent.to,
                            },
                        )
                    )
            self.messages.append(sent)
        # the creation itself is accepted: Twilio reports a failed download afterwards
        return 201, self._resource(sent), {}

    def _sender(self, form: dict[str, str]) -> tuple[dict | None, str]:
        """Twilio's checks of the addresses: To is required (21604); From or a
        MessagingServiceSid is required, either instead of or in addition to the other
        (21603); a MessagingServiceSid must look like one (MG + 32 hex, 21705), and without
        From its sender pool must hold a sender (21704). Returns (error, the From used)."""
        if not form.get("To"):
            return _error(21604, "A 'To' phone number is required."), ""
        service = form.get("MessagingServiceSid")
        if not form.get("From") and not service:
            return _error(
                21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."
            ), ""
        if service is not None and not _SERVICE_SID.fullmatch(service):
            return _error(21705, "The Messaging Service Sid is invalid."), ""
        if form.get("From"):
            return None, form["From"]
        pool = self.services.get(service or "", [])
        if not pool:
            return _error(21704, "The Messaging Service contains no phone numbers."), ""
        return None, pool[0]

    def _list(self, query: dict[str, str]) -> dict:
        with self._lock:
            found = [
                m
                for m in self.messages
                if (not query.get("To") or m.to == query["To"])
                and (not query.get("From") or m.from_ == query["From"])
                and _date_sent_matches(m, query)
            ]
        found.sort(key=lambda m: m.date_created, reverse=True)
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return {
            "messages": [self._resource(m) for m in found],
            "end": max(len(found) - 1, 0),
            "first_page_uri": base + "?PageSize=50&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": base,
        }

    def _resource(self, m: SentMessage) -> dict:
        created = format_datetime(m.date_created, usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": m.body or "",
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": m.from_,
            "messaging_service_sid": m.messaging_service_sid,
            "num_media": str(len(m.media)),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": m.sid,
            "status": "queued",
            "subresource_uris": {},
            "to": m.to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{m.sid}.json",
        }


class _Handler(BaseHTTPRequestHandler):
    owner: FakeTwilio

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        expected = base64.b64encode(
            f"{self.owner.account_sid}:{self.owner.auth_token}".encode()
        ).decode()
        return header == f"Basic {expected}"

    def _reply(self, status: int, payload: dict, headers: dict | None = None) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _route(self) -> str | None:
        path = urlsplit(self.path).path
        prefix = f"/2010-04-01/Accounts/{self.owner.account_sid}/Messages.json"
        return "messages" if path == prefix else None

    def do_POST(self) -> None:
        arrived = time.monotonic()
        self.owner.requests.append(("POST", self.path))
        if self.owner._delay:
            time.sleep(self.owner._delay)
        if not self._authorised():
            self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        if self._route() != "messages":
            self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
            return
        length = int(self.headers.get("Content-Length", 0))
        fields = parse_qs(self.rfile.read(length).decode())
        form = {k: v[-1] for k, v in fields.items()}
        status, payload, headers = self.owner._create(form, arrived, fields.get("MediaUrl"))
        self._reply(status, payload, headers)

    def do_GET(self) -> None:
        self.owner.requests.append(("GET", self.path))
        if self._serve_media():
            return
        if not self._authorised():
            self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        if self._route() != "messages":
            self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
            return
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        self._reply(200, self.owner._list(query))

    def _serve_media(self) -> bool:
        """Media as Twilio serves it; False when the path is not a media path."""
        owner, path = self.owner, urlsplit(self.path).path
        auth = self.headers.get("Authorization")
        if path.startswith("/cdn/"):
            owner.media_requests.append(MediaRequest(path, "cdn", auth))
            token = path.removeprefix("/cdn/")
            found = next((m for m in list(owner.media.values()) if m.token == token), None)
            if found is None:
                self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
                return True
            self.send_response(200)
            self.send_header("Content-Type", found.content_type)
            if found.send_length:
                self.send_header("Content-Length", str(len(found.content)))
            self.end_headers()
            self.wfile.write(found.content)
            return True
        media = owner.media.get(path)
        if media is None:
            return False
        owner.media_requests.append(MediaRequest(path, "api", auth))
        if not self._authorised():
            self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return True
        with owner._lock:
            failure = owner._media_failures.pop(0) if owner._media_failures else None
        if failure is not None:
            self._reply(failure, {"code": 20500, "message": "error", "status": failure})
            return True
        self.send_response(307)
        self.send_header("Location", media.redirect_to or f"{owner.url}/cdn/{media.token}")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True


def _media_problem(found: MediaFetch) -> str | None:
    """Why Twilio would refuse a fetched file for WhatsApp; None when it would send it."""
    if found.status != 200 or found.head_status != 200:
        return f"HTTP {found.status}"
    if found.content_type not in WHATSAPP_MEDIA_TYPES:
        return f"content type {found.content_type}"
    magic = {
        "image/jpeg": b"\xff\xd8\xff",
        "image/png": b"\x89PNG",
        "application/pdf": b"%PDF-",
    }[found.content_type]
    if not found.content.startswith(magic):
        return "content does not match its Content-Type"
    if found.content_type.startswith("image/") and len(found.content) > WHATSAPP_IMAGE_LIMIT:
        return "image over 5 MB"
    return None


def _too_large(fetched: list[MediaFetch]) -> bool:
    return sum(len(f.content) for f in fetched) > WHATSAPP_MESSAGE_LIMIT


def _template_error(form: dict[str, str]) -> dict | None:
    """Twilio's checks of a Content API send: ContentVariables only with a ContentSid (21654),
    and a JSON object whose values are neither null nor empty (21656)."""
    raw = form.get("ContentVariables")
    if raw is None:
        return None
    if not form.get("ContentSid"):
        return _error(21654, "A ContentSid must be specified if ContentVariables are provided.")
    try:
        variables = json.loads(raw)
    except ValueError:
        variables = None
    if not isinstance(variables, dict) or any(v in (None, "") for v in variables.values()):
        return _error(21656, "The ContentVariables Parameter is invalid.")
    return None


def _error(code: int, message: str) -> dict:
    return {"code": code, "message": message, "more_info": "", "status": 400}


def _date_sent_matches(m: SentMessage, query: dict[str, str]) -> bool:
    """Twilio's DateSent filters (`DateSent`, `DateSent<`, `DateSent>`). Like Twilio, a message
    still `queued` has no sent date (this fake reports every message as queued), so it never
    matches one: a reason Pandawa looks up earlier sends by To/From and creation time."""
    return not any(query.get(key) for key in ("DateSent", "DateSent<", "DateSent>"))
