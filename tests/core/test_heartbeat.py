"""Heartbeats: one row per service, upserted on PostgreSQL and SQLite, stamped at the
injectable clock's instant; fresh for two minutes. And beat's scheduler: it makes the schedule
file's missing directory, stamps beat's heartbeat, and sends the workers' heartbeat soon after
start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pandawa.app import create_app
from pandawa.core import heartbeat
from pandawa.core.beat import FIRST_HEARTBEAT, HEARTBEAT_ENTRY, Scheduler
from pandawa.core.clock import now
from pandawa.core.extensions import db
from tests.harness import app_environ

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_a_stamp_is_upserted_and_read_back_on_each_database(database, clock):
    with database.app_context():
        assert {n: h.seen_at for n, h in heartbeat.seen(db.session).items()} == {
            "beat": None,
            "worker": None,
            "dispatcher": None,
        }
        heartbeat.stamp(db.session, heartbeat.BEAT)
        db.session.commit()
        clock.advance(seconds=30)
        heartbeat.stamp(db.session, heartbeat.BEAT)
        heartbeat.worker_heartbeat()  # the task, as a worker runs it: commits itself
        db.session.remove()

        seen = heartbeat.seen(db.session)
        assert seen["beat"].seen_at == T0 + timedelta(seconds=30)
        assert seen["worker"].seen_at == T0 + timedelta(seconds=30)
        assert db.session.scalar(db.select(db.func.count(heartbeat.ServiceHeartbeat.name))) == 2
        db.session.remove()


def test_a_stamp_is_fresh_for_two_minutes():
    beat = heartbeat.Heartbeat("beat", T0)
    assert beat.state(T0 + timedelta(minutes=2)) == "ok"
    assert beat.state(T0 + timedelta(minutes=2, seconds=1)) == "stale"
    assert heartbeat.Heartbeat("beat", None).state(T0) == "missing"


def test_the_scheduler_makes_its_directory_and_stamps_beat(app, live_db, clock, tmp_path):
    celery = app.extensions["celery"]
    schedule = tmp_path / "not" / "yet" / "celerybeat-schedule"
    scheduler = Scheduler(app=celery, schedule_filename=str(schedule))
    try:
        assert schedule.parent.is_dir()
        # the workers' heartbeat is sent 10 s after start, not a whole 30 s interval later
        is_due, next_in = scheduler.schedule[HEARTBEAT_ENTRY].is_due()
        assert not is_due
        assert 0 < next_in <= FIRST_HEARTBEAT.total_seconds()
        scheduler.stamp_heartbeat()
        first = clock.now()
        clock.advance(seconds=5)
        scheduler.stamp_heartbeat()  # within STAMP_EVERY of the last one: not written again
        with app.app_context():
            assert heartbeat.seen(db.session)["beat"].seen_at == first
            assert now() - first == timedelta(seconds=5)
            db.session.remove()
    finally:
        scheduler.close()


def test_a_database_outage_never_stops_beat(app, redis_url, tmp_path, caplog):
    nowhere = "postgresql://postgres@127.0.0.1:1/pandawa"
    unreachable = create_app(app_environ(nowhere, redis_url, "http://127.0.0.1:9", tmp_path))
    scheduler = Scheduler(
        app=unreachable.extensions["celery"], schedule_filename=str(tmp_path / "schedule")
    )
    try:
        scheduler.stamp_heartbeat()  # logged, not raised; tried again on the next tick
        assert "heartbeat not written" in caplog.text
        assert scheduler._stamped_at is None
    finally:
        scheduler.close()
        with unreachable.app_context():
            db.engine.dispose()
        app.extensions["celery"].set_default()  # the session's app stays Celery's default
