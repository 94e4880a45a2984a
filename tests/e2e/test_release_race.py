"""Release at opening run twice at once, as two beats started by mistake would: two real
processes run the `tickets.release_deferred` task body against the stack's database over a
backlog of several batches (pandawa/tickets/release.py releases BATCH at a time under an
advisory lock and `FOR UPDATE SKIP LOCKED`). Every ticket is released once, every citizen hears
once, through the stack's real worker and the fake Twilio, and nothing is left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.tickets.models import Ticket
from pandawa.tickets.release import BATCH
from tests.e2e.seed import event_counts, queue_codes, seed_tickets
from tests.stack import wait_until

TICKETS = 2 * BATCH + 50  # three batches

# One releaser: the app built and the database reached, it says it is ready (a file) and waits
# for the start line (another file), so the two runs begin together; it prints when it ran and
# what it released.
RELEASER = """
import json, sys, time
from pathlib import Path

import sqlalchemy as sa

from pandawa.app import create_app
from pandawa.core.extensions import db
from pandawa.tickets.tasks import release_deferred

app = create_app()
with app.app_context():
    db.session.execute(sa.text("SELECT 1"))
    db.session.remove()
    Path(sys.argv[2]).touch()
    go = Path(sys.argv[1])
    while not go.exists():
        time.sleep(0.002)
    started = time.time()
    released = release_deferred()
    print("RESULT " + json.dumps({"released": released, "started": started, "ended": time.time()}))
"""


def test_two_releases_at_opening_release_and_tell_each_citizen_once(e2e, fake_twilio, tmp_path):
    seeded = seed_tickets(e2e, TICKETS, status="deferred", queue_codes=queue_codes(e2e, 2))
    go = tmp_path / "go"
    env = {**os.environ, **e2e.environ}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RELEASER, str(go), str(tmp_path / f"ready-{n}")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(2)
    ]
    try:
        wait_until(
            lambda: (
                all((tmp_path / f"ready-{n}").exists() for n in range(2))
                or any(run.poll() is not None for run in runs)
            ),
            60,
            what="both releasers ready",
        )
        go.touch()
        outputs = [run.communicate(timeout=120)[0] for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    assert [run.returncode for run in runs] == [0, 0], outputs
    results = [
        json.loads(line.removeprefix("RESULT "))
        for output in outputs
        for line in output.splitlines()
        if line.startswith("RESULT ")
    ]
    assert len(results) == 2, outputs
    first, second = results
    # the premise: the two runs really were at work at the same time
    assert first["started"] < second["ended"] and second["started"] < first["ended"], results
    # released exactly once between them (one may have found the office's lock taken)
    assert first["released"] + second["released"] == TICKETS, results

    numbers = {s.number for s in seeded}
    statuses = e2e.rows(
        sa.select(Ticket.status, sa.func.count())
        .where(Ticket.number.in_(numbers))
        .group_by(Ticket.status)
    )
    assert dict(statuses) == {"waiting": TICKETS}
    assert event_counts(e2e, "released") == dict.fromkeys(numbers, 1)

    # every citizen hears once, with their own ticket's number, through the real worker
    citizens = {s.citizen: s.number for s in seeded}
    sent = fake_twilio.wait_for(
        lambda messages: len({m.to for m in messages} & set(citizens)) == TICKETS, timeout=240
    )
    told = Counter(m.to for m in sent if m.to in citizens)
    assert [to for to, times in told.items() if times > 1] == []
    assert all(citizens[m.to] in (m.body or "") for m in sent if m.to in citizens)

    # nothing stuck: no ticket deferred, no notice left unsent
    wait_until(
        lambda: (
            not e2e.rows(
                sa.select(Message.id).where(
                    Message.direction == "out", Message.status.in_(["pending", "sending"])
                )
            )
        ),
        60,
        what="every opening notice sent",
    )
    outbound = e2e.rows(
        sa.select(Message.recipient, Message.provider_message_id).where(
            Message.direction == "out", Message.recipient.in_(citizens)
        )
    )
    # one row a citizen, recorded as the very message the provider accepted
    assert dict(outbound) == {m.to: m.sid for m in sent if m.to in citizens}
    assert len(outbound) == TICKETS
