"""create_app builds a process ready for its first request, whatever that request is."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.harness import app_environ


def test_a_fresh_process_knows_every_relationship_before_its_first_query(tmp_path):
    # A gunicorn worker's first request may be a signed-in one: the user loader's statement
    # names User.queues, which the ticket layer adds as a backref. Built lazily by the first
    # query instead, it was missing there (AttributeError, 500) in one worker of two.
    environ = app_environ(
        "sqlite:///" + str(tmp_path / "x.sqlite"), "", "http://127.0.0.1:9", tmp_path
    )
    environ.pop("REDIS_URL", None)
    environ.pop("CELERY_BROKER_URL", None)
    code = textwrap.dedent(
        f"""
        from pandawa.app import create_app
        create_app({environ!r})
        from pandawa.accounts.models import User
        print(User.queues.property.mapper.class_.__name__)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Queue"
