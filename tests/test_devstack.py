"""`pandawa dev` for real: a fresh instance directory, nothing but Python (SQLite, the SQL
broker, the simulator), a citizen talking through the simulator page until a ticket number
comes back; then SIGTERM, and no process of the stack may be left behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

CITIZEN = "whatsapp:+6281234567890"
TICKET_NUMBER = re.compile(r"PDW-\d{6}-[2-9A-HJ-NP-Z]{6}")
SAMPLE_ANSWERS = {
    "nik": "3174012304850001",
    "card_number": "0001234567890",
    "date": "23-04-1985",
    "phone": "081234567890",
    "text": "Mohon dibantu, terima kasih.",
}
START_SECONDS = 120  # migrations and the catalogue on a cold, busy machine
REPLY_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    alive: Callable[[], None] = lambda: None,
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stack_pids(marker: str) -> list[int]:
    """Processes whose environment holds this test's instance directory: the whole stack."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


@dataclass
class DevStack:
    process: subprocess.Popen
    base_url: str
    log: Path
    instance: Path
    web: requests.Session = field(default_factory=requests.Session)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"`pandawa dev` exited with {self.process.returncode}:\n{self.output()[-6000:]}"
            )

    def ready(self) -> bool:
        try:
            return requests.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def say(self, body: str) -> int:
        page = self.web.get(self.base_url + "/simulator", timeout=10)
        assert page.status_code == 200
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
        answer = self.web.post(
            self.base_url + "/simulator/messages",
            json={"citizen": CITIZEN, "body": body},
            headers={"X-CSRFToken": token},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    def replies_after(self, message_id: int) -> list[dict]:
        data = self.web.get(
            self.base_url + "/simulator/messages",
            params={"citizen": CITIZEN, "after": message_id},
            timeout=10,
        ).json()
        return [item for item in data["items"] if item["direction"] == "out"]

    def wait_reply(self, message_id: int, what: str) -> list[dict]:
        return wait_for(lambda: self.replies_after(message_id), REPLY_SECONDS, what, self.alive)


@contextmanager
def running_dev(workdir: Path) -> Iterator[DevStack]:
    """`pandawa dev` on a free port with `workdir/instance`, in a clean environment: no
    DATABASE_URL, REDIS_URL or CELERY_BROKER_URL, so everything is embedded."""
    instance = workdir / "instance"
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
    }
    env["PANDAWA_INSTANCE_PATH"] = str(instance)
    log = workdir / f"pandawa-dev-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("pandawa")), "dev", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = DevStack(process, f"http://127.0.0.1:{port}", log, instance)
    try:
        wait_for(stack.ready, START_SECONDS, "/healthz", stack.alive)
        yield stack
    finally:
        stack.web.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in stack_pids(str(instance)):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pandawa-dev")


@pytest.fixture(scope="module")
def dev_stack(workdir) -> Iterator[DevStack]:
    # one stack for the module (starting it is the slow part); the SIGTERM test comes last
    with running_dev(workdir) as stack:
        yield stack


def shipped_catalog():
    from pandawa.catalog.loader import SHIPPED_CATALOG, load_file

    return load_file(SHIPPED_CATALOG)


def handoff_plan() -> list[str]:
    """What a citizen types to reach a queue: the menu keys, then each detail asked for."""

    def handoffs(items, keys):
        for item in items:
            if item.queue and all(step.type in SAMPLE_ANSWERS for step in item.collect):
                yield [*keys, item.key], item
            yield from handoffs(item.submenu or [], [*keys, item.key])

    options = sorted(
        handoffs(shipped_catalog().menu, []),
        key=lambda found: (bool(found[1].conditions), len(found[1].collect)),
    )
    assert options, "the shipped catalogue has no menu option that hands off to a queue"
    keys, item = options[0]
    return [*keys, *(SAMPLE_ANSWERS[step.type] for step in item.collect)]


def test_dev_prints_what_a_developer_needs(dev_stack):
    wait_for(lambda: "Ctrl-C" in dev_stack.output(), 10, "the banner", dev_stack.alive)
    out = dev_stack.output()
    assert f"{dev_stack.base_url}/simulator" in out
    assert f"{dev_stack.base_url}/healthz" in out
    assert f"{dev_stack.base_url}/api/v1/" in out
    assert "petugas.demo@example.go.id" in out and "supervisor.demo@example.go.id" in out
    assert re.search(r"password: \S{12,}", out)
    token = re.search(r"agent API token: (\S+)", out).group(1)
    queues = requests.get(
        dev_stack.base_url + "/api/v1/queues",
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert queues.status_code == 200
    assert queues.json()["items"], "the demo agent belongs to the catalogue's queues"
    # the embedded broker and database are files in the instance directory
    assert (dev_stack.instance / "pandawa.sqlite").is_file()
    broker = dev_stack.instance / "celery-broker.sqlite"
    wait_for(broker.is_file, 30, "the worker to open the SQL broker", dev_stack.alive)


def test_citizen_reaches_a_queue_through_the_simulator(dev_stack):
    first = dev_stack.say("Halo")
    greeting = dev_stack.wait_reply(first, "the bot's greeting and menu")
    menu = shipped_catalog().menu
    assert menu[0].label_for("id") in "\n".join(r["body"] for r in greeting)

    last = first
    for answer in handoff_plan():
        last = dev_stack.say(answer)
        dev_stack.wait_reply(last, f"the bot's answer to {answer!r}")

    def ticket_number() -> str | None:
        for reply in dev_stack.replies_after(first):
            found = TICKET_NUMBER.search(reply["body"])
            if found:
                return found.group(0)
        return None

    number = wait_for(ticket_number, REPLY_SECONDS, "a ticket number", dev_stack.alive)
    token = re.search(r"agent API token: (\S+)", dev_stack.output()).group(1)
    ticket = requests.get(
        f"{dev_stack.base_url}/api/v1/tickets/{number}",
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ticket.status_code == 200
    assert ticket.json()["contact"]["address"] == "whatsapp:+62812****7890"  # masked for staff
    assert ticket.json()["status"] in ("waiting", "deferred")


def test_sigterm_stops_the_whole_stack(dev_stack):
    marker = str(dev_stack.instance)
    assert len(stack_pids(marker)) >= 2, "the web process and the Celery worker run"
    dev_stack.process.send_signal(signal.SIGTERM)  # the dev process only, not its group
    assert dev_stack.process.wait(timeout=60) == 0, dev_stack.output()[-4000:]
    wait_for(lambda: not stack_pids(marker), 10, "the worker to be gone")
    out = dev_stack.output()
    assert "Traceback" not in out, out[max(0, out.find("Traceback") - 500) :][:4000]


def test_a_second_start_keeps_the_data(dev_stack, workdir):
    if dev_stack.process.poll() is None:  # normally the SIGTERM test stopped it already
        dev_stack.say("Halo")
        dev_stack.process.send_signal(signal.SIGTERM)
        dev_stack.process.wait(timeout=60)
    with running_dev(workdir) as again:
        out = again.output()
        assert "demo accounts exist" in out
        assert "password:" not in out  # passwords and tokens are shown once only
        assert "catalogue loaded" not in out
        earlier = again.web.get(
            again.base_url + "/simulator/messages", params={"citizen": CITIZEN}, timeout=10
        ).json()["items"]
        assert "Halo" in [i["body"] for i in earlier if i["direction"] == "in"]
        again.process.send_signal(signal.SIGTERM)
        assert again.process.wait(timeout=60) == 0
