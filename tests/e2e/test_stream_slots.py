"""Open consoles never starve the web process: gunicorn as the Procfile runs it (gunicorn.conf.py,
gthread), one worker with 4 threads, so the hook's thread count leaves 2 stream slots and 2
threads for everything else. The defect: with every thread holding a live-update stream, API
requests and Twilio's webhooks waited until a stream ended (up to 5 minutes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from pandawa.core.extensions import db
from tests.harness import PASSWORD
from tests.services import temporary_redis_db
from tests.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
QUEUE = "KEPESERTAAN"  # a queue of the default catalogue
# A request that waits for a stream's thread waits until a stream ends: MAX_STREAM_SECONDS
# (300 s) by design; in a trial with every thread held, about 30 s. So "answered without
# waiting" is "answered within ANSWER_LIMIT", half that, and far above a busy machine's
# slowest answer (milliseconds here). No stopwatch: the limit is each request's read timeout.
ANSWER_LIMIT = 15.0


@pytest.fixture
def small_stack(fake_twilio, tmp_path_factory, monkeypatch) -> Iterator[Stack]:
    # the cap comes from the worker's threads alone (exported by gunicorn.conf.py)
    monkeypatch.delenv("LIVE_MAX_STREAMS", raising=False)
    monkeypatch.delenv("PANDAWA_WEB_THREADS", raising=False)
    web_args = (
        *("-c", str(ROOT / "gunicorn.conf.py")),
        *("-w", "1", "--worker-class", "gthread", "--threads", "4"),
        # at the end the server need not wait for the streams' next keep-alive to notice
        # their clients are gone
        *("--graceful-timeout", "2"),
    )
    with (
        temporary_redis_db() as redis_url,  # its Celery worker takes no other stack's tasks
        running_stack(
            redis_url, fake_twilio, tmp_path_factory, name="streams", web_args=web_args
        ) as stack,
    ):
        yield stack


def _agent_with_token(stack: Stack) -> tuple[str, str]:
    from pandawa.accounts.operations import create_token
    from pandawa.admin.operations import create_user

    email = "petugas-sse@example.go.id"
    with stack.app.app_context():
        user = create_user(db.session, email, "agent", [QUEUE], password=PASSWORD, name="Petugas")
        token = create_token(db.session, user)
        db.session.commit()
        db.session.remove()
    return email, token


class _Browser(requests.Session):
    """The stack's PUBLIC_BASE_URL is https, so its cookies are Secure: a browser still sends
    them to 127.0.0.1 (a secure context), requests would not."""

    def request(self, *args, **kwargs) -> requests.Response:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def _sign_in(base: str, email: str) -> requests.Session:
    """As a browser does (and bench/console.py): the form with its CSRF token."""
    s = _Browser()
    page = s.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no csrf_token on /login"
    done = s.post(
        f"{base}/login",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 302, done.text[:300]
    return s


def _answered(what: str, call: Callable[[float | tuple[float, float]], requests.Response]):
    """`call(timeout)`; a read timeout (the request waited for a stream's thread) fails."""
    try:
        return call((10, ANSWER_LIMIT))
    except requests.ReadTimeout:
        pytest.fail(f"{what}: no answer in {ANSWER_LIMIT:.0f} s while the streams are open")


def test_open_streams_leave_threads_for_the_api_and_the_console(small_stack):
    base = small_stack.base_url
    email, token = _agent_with_token(small_stack)
    tabs = [_sign_in(base, email) for _ in range(3)]
    streams: list[requests.Response] = []
    try:
        for tab in tabs[:2]:
            stream = tab.get(f"{base}/console/events", stream=True, timeout=(10, ANSWER_LIMIT))
            assert stream.status_code == 200
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            # the first block has arrived: the stream runs and holds its thread
            assert next(stream.iter_content(chunk_size=None)).startswith(b"retry: ")
            streams.append(stream)

        refused = _answered(
            "the third stream",
            lambda t: tabs[2].get(f"{base}/console/events", stream=True, timeout=t),
        )
        streams.append(refused)  # closed in the end, should it be a stream after all
        assert refused.status_code == 503, "the third stream should find no free slot"
        assert refused.headers["Retry-After"] == "60"
        assert refused.json()["error"]["code"] == "busy"

        # while both streams stay open, the other two threads answer without waiting for them
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(3):
            api = _answered(
                "the API", lambda t: requests.get(f"{base}/api/v1/queues", headers=auth, timeout=t)
            )
            assert api.status_code == 200 and QUEUE in api.text
            console = _answered("the console", lambda t: tabs[2].get(f"{base}/console", timeout=t))
            assert console.status_code == 200
            poll = _answered(
                "the console's poll",
                lambda t: tabs[2].get(f"{base}/console/events/poll", timeout=t),
            )
            assert poll.status_code == 200
    finally:
        for stream in streams:
            stream.close()

    log = (small_stack.logs / "web.log").read_text()
    assert "no free stream slot" in log
    assert email not in log
