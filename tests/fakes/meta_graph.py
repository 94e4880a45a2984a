"""A small local server that speaks the WhatsApp Cloud API's Graph wire format (the parts
Pandawa uses), and builders for the webhooks Meta posts.

Only Meta itself is faked; Pandawa's provider talks to this over HTTP, pointed here by
META_GRAPH_API_BASE_URL. It records what it was sent and can be told to fail:

- `POST /{version}/{phone-number-id}/messages` (Bearer token; 401 with code 190 otherwise)
  answers `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": wamid}]}`
  or a Graph error `{"error": {"message", "type", "code", "error_data": {"details"}, …}}`;
- `GET /{version}/{media-id}` answers `{"url", "mime_type", "sha256", "file_size", "id",
  "messaging_product"}`; the url (`/cdn/<token>` on the fake, standing in for
  lookaside.fbsbx.com) needs the same Bearer token, as Meta's does.

The webhook side: `text_message(...)` and friends build `messages[]` items, `notification()`
wraps them (and `statuses[]`) in `entry[].changes[].value`, `signature(raw)` is the
`X-Hub-Signature-256` Meta computes with the app secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ACCESS_TOKEN = "EAAG-test-access-token"
APP_SECRET = "meta-test-app-secret"
VERIFY_TOKEN = "meta-test-verify-token"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v23.0"
BUSINESS_ACCOUNT_ID = "102290129340398"


@dataclass
class GraphMessage:
    """One POST /messages the fake took, as sent."""

    wamid: str
    phone_number_id: str
    to: str  # digits, as the Cloud API takes them
    payload: dict
    arrived: float = 0.0

    @property
    def type(self) -> str:
        return self.payload.get("type", "")

    @property
    def body(self) -> str | None:
        """The text the citizen reads: a text's body, a file's caption; None for a template."""
        kind = self.type
        if kind == "text":
            return self.payload["text"]["body"]
        if kind in ("image", "document", "audio", "video"):
            return self.payload[kind].get("caption")
        return None

    @property
    def template(self) -> dict | None:
        return self.payload.get("template")


@dataclass
class Failure:
    status: int
    code: int
    message: str
    times: int = 1


@dataclass
class FakeMedia:
    content: bytes
    mime_type: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


class FakeGraph:
    def __init__(self, access_token: str = ACCESS_TOKEN) -> None:
        self.access_token = access_token
        self.messages: list[GraphMessage] = []
        self.media: dict[str, FakeMedia] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Authorization
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

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

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.media.clear()
            self.requests.clear()
            self._failures.clear()

    def fail_next(self, status: int, code: int, message: str = "error", times: int = 1) -> None:
        """The next `times` sends answer this Graph error."""
        with self._lock:
            self._failures.append(Failure(status, code, message, times))

    def add_media(self, content: bytes, mime_type: str) -> str:
        """A file a citizen sent; its media id (digits, as Meta's)."""
        media_id = str(uuid.uuid4().int)[:15]
        with self._lock:
            self.media[media_id] = FakeMedia(content, mime_type)
        return media_id

    def sent_to(self, who: str) -> list[GraphMessage]:
        """The messages sent to `who` (`whatsapp:+62…` or digits), oldest first."""
        digits = "".join(c for c in who if c.isdigit())
        with self._lock:
            return [m for m in self.messages if m.to == digits]

    # -- handlers ----------------------------------------------------------
    def _send(self, phone_number_id: str, payload: dict) -> tuple[int, dict]:
        with self._lock:
            if self._failures:
                failure = self._failures[0]
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.pop(0)
                return failure.status, graph_error(failure.code, failure.message)
            if payload.get("messaging_product") != "whatsapp" or not payload.get("to"):
                return 400, graph_error(100, "Invalid parameter")
            kind = payload.get("type")
            if kind not in ("text", "image", "document", "audio", "video", "template"):
                return 400, graph_error(100, f"Invalid parameter: type {kind}")
            if kind == "text" and len(payload["text"].get("body") or "") > 4096:
                return 400, graph_error(100, "Param text['body'] must be at most 4096 characters")
            if kind == "template" and not (payload["template"].get("language") or {}).get("code"):
                return 400, graph_error(132001, "Template name does not exist in the translation")
            to = "".join(c for c in str(payload["to"]) if c.isdigit())
            sent = GraphMessage(wamid(), phone_number_id, to, payload, time.monotonic())
            self.messages.append(sent)
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": payload["to"], "wa_id": to}],
            "messages": [{"id": sent.wamid, "message_status": "accepted"}],
        }

    def _media_meta(self, media_id: str, phone_base: str) -> tuple[int, dict]:
        item = self.media.get(media_id)
        if item is None:
            return 404, graph_error(100, "Unsupported get request: media id")
        return 200, {
            "messaging_product": "whatsapp",
            "url": f"{phone_base}/cdn/{item.token}",
            "mime_type": item.mime_type,
            "sha256": hashlib.sha256(item.content).hexdigest(),
            "file_size": len(item.content),
            "id": media_id,
        }


def graph_error(code: int, message: str) -> dict:
    return {
        "error": {
            "message": f"({code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": message},
            "fbtrace_id": "A" + uuid.uuid4().hex[:20],
        }
    }


class _Handler(BaseHTTPRequestHandler):
    owner: FakeGraph

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, payload: dict | bytes, content_type: str = "") -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type or "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization")
        self.owner.requests.append((self.command, urlsplit(self.path).path, auth))
        return auth == f"Bearer {self.owner.access_token}"

    def do_POST(self) -> None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self._authorised():
            self._reply(401, graph_error(190, "Error validating access token"))
            return
        if len(parts) != 3 or parts[2] != "messages":
            self._reply(404, graph_error(100, "Unknown path"))
            return
        try:
            payload = json.loads(raw)
        except ValueError:
            self._reply(400, graph_error(100, "Invalid JSON"))
            return
        self._reply(*self.owner._send(parts[1], payload))

    def do_GET(self) -> None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        if not self._authorised():
            self._reply(401, graph_error(190, "Error validating access token"))
            return
        if len(parts) == 2 and parts[0] == "cdn":
            found = [m for m in self.owner.media.values() if m.token == parts[1]]
            if not found:
                self._reply(404, b"", "text/plain")
                return
            # Meta's CDN answers files as a generic binary more often than not
            self._reply(200, found[0].content, "application/octet-stream")
            return
        if len(parts) == 2:
            host = f"http://{self.headers.get('Host')}"
            self._reply(*self.owner._media_meta(parts[1], host))
            return
        self._reply(404, graph_error(100, "Unknown path"))


# -- webhooks Meta posts -------------------------------------------------------------------


def signature(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def wamid() -> str:
    return "wamid." + base64.b64encode(b"\x15\x02" + uuid.uuid4().bytes * 3).decode()


def digits(who: str) -> str:
    return "".join(c for c in who if c.isdigit())


def message(who: str, kind: str, detail: dict, *, timestamp: int, id: str | None = None) -> dict:
    """One `messages[]` item from the citizen `who` (`whatsapp:+62…`)."""
    return {
        "from": digits(who),
        "id": id or wamid(),
        "timestamp": str(timestamp),
        "type": kind,
        kind: detail,
    }


def text_message(who: str, body: str, *, timestamp: int, id: str | None = None) -> dict:
    return message(who, "text", {"body": body}, timestamp=timestamp, id=id)


def status(
    wamid_: str, state: str, *, recipient: str, timestamp: int, error: int | None = None
) -> dict:
    item = {
        "id": wamid_,
        "status": state,
        "timestamp": str(timestamp),
        "recipient_id": digits(recipient),
    }
    if error is not None:
        item["errors"] = [
            {
                "code": error,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "Message failed to send because more than 24 hours"},
            }
        ]
    return item


def notification(
    ours: str,
    *,
    messages: list[dict] = (),
    statuses: list[dict] = (),
    names: dict[str, str] | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict:
    """The webhook body: our number `ours` (`whatsapp:+62…`) got these messages/statuses."""
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": digits(ours), "phone_number_id": phone_number_id},
    }
    if messages:
        senders = {m["from"] for m in messages}
        value["contacts"] = [
            {"profile": {"name": (names or {}).get(s, "Siti Rahayu")}, "wa_id": s} for s in senders
        ]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": BUSINESS_ACCOUNT_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def signed(payload: dict, secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Meta posts it with."""
    raw = json.dumps(payload).encode()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature(raw, secret)}
