"""Fixtures of the conversation tests."""

from __future__ import annotations

import pytest
from flask import Flask

import pandawa.conversations.tasks as conversation_tasks
from pandawa.core.extensions import db
from pandawa.provisioning.operations import load_default
from tests.conversations.drain import advancing_bot


@pytest.fixture
def drained_app(app, live_db, clock, monkeypatch) -> Flask:
    """For the inbound drain with real commits (test_order.py, test_process_inbound.py): the
    app with the shipped catalogue committed (`live_db`), and the bot moving the clock a second
    per message it handles (`advancing_bot`), so each `processed_at` tells the order."""
    monkeypatch.setattr(conversation_tasks, "Bot", advancing_bot(clock))
    with app.app_context():
        load_default(db.session)
        db.session.commit()
        db.session.remove()
    return app
