"""The catalogue and the queue settings page (issue 17): `sla_template` and
`resolution_minutes` load into the queue, an unknown template is refused with the names that
exist, and a queue changed in /dashboard/settings keeps its targets over a later load."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pandawa.core.clock import now
from pandawa.tickets.models import Queue
from pandawa.tickets.settings import update_queue_settings
from tests.catalog.editing import edit

COMPLAINTS = "    name: {id: Pengaduan, en: Complaints}\n    sla_minutes: 20\n"


@pytest.fixture
def cli(app, session):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["catalog", "load", *args])


def queue(session, code: str) -> Queue:
    session.expire_all()
    return session.scalar(sa.select(Queue).where(Queue.code == code))


def test_a_template_and_a_resolution_target_load(cli, session, default_text, write_catalog):
    text = edit(
        default_text,
        COMPLAINTS,
        COMPLAINTS + "    sla_template: sp4n-lapor-14\n    resolution_minutes: 600\n",
    )
    result = cli(str(write_catalog(text)))
    assert result.exit_code == 0, result.output
    row = queue(session, "PENGADUAN")
    assert (row.sla_template, row.resolution_seconds) == ("sp4n-lapor-14", 36000)


def test_an_unknown_template_is_refused(cli, session, default_text, write_catalog):
    text = edit(default_text, COMPLAINTS, COMPLAINTS + "    sla_template: sp4n-lapor-7\n")
    result = cli(str(write_catalog(text)))
    assert result.exit_code != 0
    assert "unknown SLA template 'sp4n-lapor-7'" in result.output
    assert "sp4n-lapor-5, sp4n-lapor-14, sp4n-lapor-60" in result.output
    assert queue(session, "PENGADUAN") is None  # nothing loaded


def test_the_page_wins_over_a_later_load(cli, session, default_text, write_catalog, make_user):
    assert cli().exit_code == 0
    supervisor = make_user(role="supervisor")
    row = queue(session, "PENGADUAN")
    values = {
        "sla_minutes": 45,
        "resolution_minutes": None,
        "is_auto_assign": True,
        "idle_return_minutes": 10,
    }
    update_queue_settings(session, row, supervisor, values, now())
    session.flush()

    changed = edit(default_text, COMPLAINTS, COMPLAINTS.replace("20", "25"))
    changed = edit(changed, "{id: Pengaduan, en: Complaints}", "{id: Pengaduan, en: Complaint}")
    result = cli(str(write_catalog(changed)))
    assert result.exit_code == 0, result.output
    row = queue(session, "PENGADUAN")
    assert row.sla_seconds == 45 * 60 and row.is_auto_assign  # kept from the page
    assert row.idle_return_minutes == 10
    assert row.name_en == "Complaint"  # the rest follows the catalogue
    other = queue(session, "INFORMASI_UMUM")  # never edited in the page: the catalogue's
    assert other.sla_seconds == 60 * 60
