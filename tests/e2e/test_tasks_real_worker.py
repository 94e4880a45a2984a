"""The real tasks through the e2e stack's real Celery worker, with the arguments the product
gives them: what goes over the wire is plain JSON, a countdown really delays, and a worker
process killed (SIGKILL) in the middle of a task gets the message back (late acknowledgement,
`task_reject_on_worker_lost`) and the work is done once. Unit tests run tasks in-process, where
none of that is exercised."""

from __future__ import annotations

import ast
import base64
import json
import re
import threading
import time
from datetime import timedelta

import redis
import requests
import sqlalchemy as sa

from pandawa.channels.models import Message
from tests.e2e.seed import (
    add_agent,
    connected_to,
    kill_9,
    parent_of,
    processes_of,
    queue_codes,
    seed_tickets,
)
from tests.stack import Stack, citizen, inbound_form, sid, wait_until

MONITOR_LINE = re.compile(r"^\d+\.\d+ \[(\d+) [^\]]*\] (.*)$", re.S)
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
PLAIN = (str, int, float, bool, type(None))


class Wire:
    """Every task message pushed onto the stack's Redis db while it records (Redis MONITOR:
    what the dispatcher and the worker's own retries really sent, before any worker read it)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = int(url.rsplit("/", 1)[1])
        self.messages: list[dict] = []
        self._stop = threading.Event()
        self._client = redis.Redis.from_url(url)
        self._monitor = self._client.monitor()
        self._monitor.__enter__()  # MONITOR sent and acknowledged: nothing is missed from here
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            line = self._monitor.connection.read_response()
            if isinstance(line, bytes):
                line = line.decode("utf-8", "replace")
            found = MONITOR_LINE.match(line)
            if not found or int(found.group(1)) != self.db:
                continue
            words = [ast.literal_eval(f'b"{w}"').decode() for w in QUOTED.findall(found.group(2))]
            if len(words) >= 3 and words[0].upper() in {"LPUSH", "RPUSH"}:
                try:
                    envelope = json.loads(words[2])
                except ValueError:
                    continue
                if isinstance(envelope, dict) and "task" in envelope.get("headers", {}):
                    self.messages.append(envelope)

    def stop(self) -> None:
        self._stop.set()
        self._client.ping()  # one more line for the reader to wake up on
        self._thread.join(timeout=10)
        self._monitor.__exit__(None, None, None)
        self._client.close()

    def tasks(self) -> list[str]:
        return [m["headers"]["task"] for m in self.messages]


def not_plain_json(value, path: str = "$") -> list[str]:
    """Where `value` (decoded by the standard library, not kombu) holds anything but JSON's own
    types, or kombu's marker for an object it encoded (a datetime, a Decimal, a UUID…)."""
    if isinstance(value, PLAIN):
        return []
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in not_plain_json(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        found = [f"{path} is an encoded {value['__type__']}"] if "__type__" in value else []
        return found + [p for k, v in value.items() for p in not_plain_json(v, f"{path}.{k}")]
    return [f"{path}: {type(value).__name__}"]


def assigned_ticket(stack: Stack) -> tuple[str, str, requests.Session]:
    """A waiting ticket claimed over HTTP by a new agent: (number, citizen, agent's session)."""
    codes = queue_codes(stack, 1)
    [seeded] = seed_tickets(stack, 1, status="waiting", queue_codes=codes)
    _email, token = add_agent(stack, codes)
    agent = requests.Session()
    agent.headers["Authorization"] = f"Bearer {token}"
    claimed = agent.post(stack.base_url + "/api/v1/tickets/claim", timeout=30)
    assert claimed.status_code == 200 and claimed.json()["number"] == seeded.number
    return seeded.number, seeded.citizen, agent


def reply(stack: Stack, agent: requests.Session, number: str, body: str) -> None:
    response = agent.post(
        f"{stack.base_url}/api/v1/tickets/{number}/messages", json={"body": body}, timeout=30
    )
    assert response.status_code == 202, (response.status_code, response.text[:300])


def outbound_row(stack: Stack, recipient: str, body: str):
    [row] = stack.rows(
        sa.select(Message.status, Message.attempts, Message.provider_message_id).where(
            Message.direction == "out", Message.recipient == recipient, Message.body == body
        )
    )
    return row


def test_task_messages_on_the_wire_are_plain_json(e2e, fake_twilio):
    wire = Wire(e2e.environ["CELERY_BROKER_URL"])
    try:
        # a citizen's webhook (the inbound task, then the bot's answer), an agent's reply, and
        # a provider 429 (the send task sends itself back with a countdown)
        who = citizen()
        assert e2e.post_webhook(inbound_form(sid(), who, "Halo")).status_code == 200
        fake_twilio.wait_for(lambda messages: any(m.to == who for m in messages), timeout=60)
        number, other, agent = assigned_ticket(e2e)
        fake_twilio.fail_next(429, 20429, "Too Many Requests", retry_after="1")
        reply(e2e, agent, number, "Baik, kami periksa data Anda.")
        fake_twilio.wait_for(lambda messages: any(m.to == other for m in messages), timeout=60)
    finally:
        wire.stop()

    tasks = wire.tasks()
    assert "conversations.process_inbound" in tasks, tasks
    assert tasks.count("channels.send_message") >= 3, tasks  # bot answer, reply, its retry
    assert any(m["headers"].get("eta") for m in wire.messages), "the retry had no countdown"
    for message in wire.messages:
        task = message["headers"]["task"]
        assert message["content-type"] == "application/json", (task, message["content-type"])
        body = json.loads(base64.b64decode(message["body"]))  # protocol 2: [args, kwargs, embed]
        args, kwargs, _embed = body
        assert not_plain_json([args, kwargs]) == [], (task, args, kwargs)


def test_a_countdown_really_delays_the_task(e2e, fake_twilio):
    number, who, agent = assigned_ticket(e2e)
    # the provider asks for 4 s: the send task comes back through the broker with that countdown
    fake_twilio.fail_next(429, 20429, "Too Many Requests", retry_after="4")
    before = time.monotonic()
    reply(e2e, agent, number, "Mohon ditunggu sebentar.")
    [sent] = fake_twilio.wait_for(lambda messages: any(m.to == who for m in messages), timeout=60)
    assert fake_twilio.creations() == 2  # the refused attempt and the one after the countdown
    # a lower bound only: a countdown honoured can never arrive earlier (a busy machine only
    # makes it later)
    assert sent.arrived - before >= 4.0, sent.arrived - before
    wait_until(
        lambda: outbound_row(e2e, who, "Mohon ditunggu sebentar.")[0] not in ("pending", "sending"),
        30,
        what="the reply recorded as sent",
    )
    status, attempts, provider_id = outbound_row(e2e, who, "Mohon ditunggu sebentar.")
    assert (attempts, provider_id) == (2, sent.sid), status


def test_a_worker_process_killed_mid_task_gets_the_task_back_and_sends_once(e2e, fake_twilio):
    number, who, agent = assigned_ticket(e2e)
    body = "Tiket Anda sedang kami proses."
    fake_twilio.delay_responses(3.0)  # the provider holds the request: the send is in flight
    reply(e2e, agent, number, body)
    wait_until(lambda: fake_twilio.creations() == 1, 60, what="the send at the provider")

    port = int(fake_twilio.url.rsplit(":", 1)[1])
    workers = processes_of(e2e, "celery", "pandawa.worker", "worker")
    busy = [pid for pid in workers if connected_to(pid, port)]
    assert len(busy) == 1, (workers, busy)
    assert parent_of(busy[0]) in workers  # a pool process, not the worker's main process
    kill_9(busy[0])
    fake_twilio.delay_responses(0)

    # the provider took the message before the worker died (the answer never came back)
    [accepted] = fake_twilio.wait_for(
        lambda messages: any(m.to == who for m in messages), timeout=30
    )
    # past the in-flight lease (2 × TWILIO_TIMEOUT_SECONDS + 10 s), so the task given back
    # looks at the provider for the earlier attempt's copy instead of leaving the row alone
    e2e.clock.set(e2e.clock.now() + timedelta(seconds=60))
    wait_until(
        lambda: outbound_row(e2e, who, body)[0] not in ("pending", "sending"),
        90,
        what="the killed send finished by the task given back",
    )
    status, attempts, provider_id = outbound_row(e2e, who, body)
    assert provider_id == accepted.sid, (status, attempts)  # adopted, not sent again
    assert attempts == 2
    time.sleep(1.0)  # anything sent twice would have reached the fake by now
    assert [m.body for m in fake_twilio.sent_to(who)] == [body]
    assert fake_twilio.creations() == 1
    log = (e2e.logs / "worker.log").read_text()
    assert f"pid:{busy[0]} exited with 'signal 9 (SIGKILL)'" in log
