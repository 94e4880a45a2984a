"""The live board says when beat or the workers are missing: a banner in Bahasa Indonesia and
English with the last-seen time in the office's local time, on the page and on the fragment
the page refreshes from every 5 s; gone once both heartbeats are fresh."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from pandawa.core import heartbeat, jobs
from tests.harness import reset_throttle, sign_in, with_password

BEAT_ID = "Penjadwal (beat) tidak berjalan sejak"
BEAT_EN = "The scheduler (beat) has not run since"


@pytest.fixture
def supervisor(app, client, session, make_office, make_user):
    reset_throttle(app)
    make_office("MKS", timezone="Asia/Makassar")  # WITA: the clock's 03:00 UTC is 11.00
    boss = with_password(make_user("kepala@example.go.id", role="supervisor"))
    session.flush()
    assert sign_in(client, boss.email).status_code == 302
    yield client
    reset_throttle(app)


def banners(client, url: str) -> list[str]:
    html = unescape(client.get(url).get_data(as_text=True))
    found = re.findall(r'<p class="process-alert" data-process="(\w+)">(.*?)</p>', html, re.S)
    return [
        f"{service}: {' '.join(re.sub(r'<[^>]+>', ' ', body).split())}" for service, body in found
    ]


def test_a_stale_beat_shows_the_banner_with_its_last_seen_local_time(supervisor, session, clock):
    heartbeat.stamp(session, heartbeat.DISPATCHER)
    heartbeat.stamp(session, heartbeat.BEAT, clock.now() - timedelta(minutes=5))
    heartbeat.stamp(session, heartbeat.WORKER, clock.now() - timedelta(minutes=5))
    for url in ("/dashboard", "/dashboard/board"):
        (banner,) = banners(supervisor, url)  # beat's only: the workers' comes through beat
        assert banner.startswith(f"beat: ⚠ {BEAT_ID} Selasa, 1 Desember 2026 pukul 10.55 WITA")
        assert f"{BEAT_EN} Tuesday, 1 December 2026 at 10:55 WITA" in banner
        assert banner.index(BEAT_ID) < banner.index(BEAT_EN)  # Indonesian first


def test_missing_workers_show_while_beat_runs_and_both_fresh_show_nothing(
    supervisor, session, clock
):
    heartbeat.stamp(session, heartbeat.DISPATCHER)
    heartbeat.stamp(session, heartbeat.BEAT)
    (banner,) = banners(supervisor, "/dashboard/board")
    assert banner.startswith("worker: ⚠ Pekerja latar (worker) belum pernah memproses tugas:")
    assert "The background workers have never processed a task:" in banner

    heartbeat.stamp(session, heartbeat.WORKER)
    assert banners(supervisor, "/dashboard") == []
    assert supervisor.get("/dashboard/board?format=json").get_json()["process_alerts"] == []

    clock.advance(minutes=2, seconds=1)  # nothing stamped since: beat is gone
    heartbeat.stamp(session, heartbeat.DISPATCHER)
    (banner,) = banners(supervisor, "/dashboard/board")
    assert banner.startswith(f"beat: ⚠ {BEAT_ID} Selasa, 1 Desember 2026 pukul 11.00 WITA")

    heartbeat.stamp(session, heartbeat.DISPATCHER)
    heartbeat.stamp(session, heartbeat.BEAT)  # beat back; the workers still silent
    (banner,) = banners(supervisor, "/dashboard/board")
    assert banner.startswith(
        "worker: ⚠ Pekerja latar (worker) tidak memproses tugas sejak "
        "Selasa, 1 Desember 2026 pukul 11.00 WITA"
    )
    assert "The background workers have not processed tasks since Tuesday" in banner


def test_a_missing_dispatcher_shows_beside_the_others(supervisor, session, clock):
    heartbeat.stamp(session, heartbeat.BEAT)
    heartbeat.stamp(session, heartbeat.WORKER)
    (banner,) = banners(supervisor, "/dashboard/board")
    assert banner.startswith("dispatcher: ⚠ Penerus tugas (dispatcher) belum pernah berjalan:")
    assert "pesan warga tersimpan, tetapi belum diteruskan untuk dijawab." in banner
    assert "The task dispatcher has never run:" in banner

    heartbeat.stamp(session, heartbeat.DISPATCHER, clock.now() - timedelta(minutes=3))
    heartbeat.stamp(session, heartbeat.BEAT, clock.now() - timedelta(minutes=3))
    assert [b.split(":")[0] for b in banners(supervisor, "/dashboard/board")] == [
        "beat",
        "dispatcher",
    ]


def test_an_old_outbox_backlog_says_the_broker_is_down(supervisor, session, clock):
    for name in heartbeat.SERVICES:
        heartbeat.stamp(session, name)
    jobs.enqueue_after_commit(session, "conversations.process_inbound", 1)
    jobs.enqueue_after_commit(session, "conversations.process_inbound", 2)
    session.flush()
    clock.advance(minutes=1)  # exactly a minute: not yet
    for name in heartbeat.SERVICES:
        heartbeat.stamp(session, name)
    assert banners(supervisor, "/dashboard/board") == []

    clock.advance(seconds=1)
    for name in heartbeat.SERVICES:
        heartbeat.stamp(session, name)
    (banner,) = banners(supervisor, "/dashboard/board")
    assert banner.startswith(
        "outbox: ⚠ 2 tugas menunggu diteruskan ke antrean kerja sejak "
        "Selasa, 1 Desember 2026 pukul 11.00 WITA"
    )
    assert "Periksa broker (Redis)." in banner and "Check the broker (Redis)." in banner
