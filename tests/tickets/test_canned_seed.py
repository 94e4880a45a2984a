"""Migration 0013 ships the answers canned.yaml used to hold: a fresh deploy (here the
embedded default, migrated from nothing) offers them, every one valid for the editor."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

import pandawa
from pandawa.core.extensions import db
from pandawa.tickets.canned.models import CannedResponse
from pandawa.tickets.canned.queries import EditScope, editor_list
from pandawa.tickets.canned.variables import check


def test_a_fresh_deploy_has_the_shipped_answers(sqlite_app):
    with sqlite_app.app_context():
        rows = db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.id)).all()
    titles = [(row.language, row.title) for row in rows]
    assert titles[:6] == [
        ("id", "Salam pembuka"),
        ("id", "Mohon menunggu"),
        ("id", "Minta dokumen"),
        ("id", "Data sudah diterima"),
        ("id", "Penutup"),
        ("id", "Di luar kewenangan"),
    ]
    assert ("en", "Greeting") in titles
    assert all(row.queue_id is None and row.retired_at is None for row in rows)
    assert all(row.created_by_id is None for row in rows)  # shipped, not written by a user
    # the old {tiket} became {nomor_tiket}; everything passes the editor's own check
    assert rows[0].body.endswith("tiket {nomor_tiket}. Ada yang dapat kami bantu?")
    assert [row.title for row in rows if check(row.body)] == []
    assert not any("{tiket}" in row.body for row in rows)


def test_the_editor_lists_them_on_the_embedded_default(sqlite_app):
    """SQLite (`pandawa dev`) runs the editor's query too: NULLS FIRST, the outer join."""
    with sqlite_app.app_context():
        rows = editor_list(db.session, EditScope((), may_edit_global=True))
        assert [row.language for row in rows] == sorted(row.language for row in rows)
        assert {row.title for row in rows} >= {"Salam pembuka", "Greeting"}


def test_the_yaml_is_gone():
    assert not (Path(pandawa.__file__).parent / "console" / "canned.yaml").exists()
