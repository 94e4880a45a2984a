"""The board's banner when beat, the workers or the dispatcher are missing (their heartbeats,
core/heartbeat.py, older than two minutes or never written), or when the task outbox's backlog
has waited over a minute (the broker is down).

Always in both languages, Bahasa Indonesia first: an alarm on a wall screen is read by whoever
walks past, whatever language the signed-in supervisor chose. The last-seen time is the
office's local time, written as the rest of the service writes times.

The workers' heartbeat is sent by beat: while beat is missing it cannot arrive, so only beat's
banner shows then (the workers' would accuse them of beat's failure); once beat runs again a
missing worker shows within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from pandawa.core import heartbeat, outbox
from pandawa.hours.formatting import format_local

# what stops while the process is missing, after "since …" or "never"
EFFECTS = {
    heartbeat.BEAT: {
        "id": "tiket yang ditunda tidak dirilis saat kantor buka dan penyapu pesan berhenti.",
        "en": "deferred tickets are not released at opening and the message sweepers have stopped.",
    },
    heartbeat.WORKER: {
        "id": "pesan warga tidak dijawab dan balasan petugas tidak terkirim.",
        "en": "citizens' messages go unanswered and agents' replies are not sent.",
    },
    heartbeat.DISPATCHER: {
        "id": "pesan warga tersimpan, tetapi belum diteruskan untuk dijawab.",
        "en": "citizens' messages are stored but not handed on to be answered.",
    },
}
SINCE = {
    heartbeat.BEAT: {
        "id": "Penjadwal (beat) tidak berjalan sejak {since}: ",
        "en": "The scheduler (beat) has not run since {since}: ",
    },
    heartbeat.WORKER: {
        "id": "Pekerja latar (worker) tidak memproses tugas sejak {since}: ",
        "en": "The background workers have not processed tasks since {since}: ",
    },
    heartbeat.DISPATCHER: {
        "id": "Penerus tugas (dispatcher) tidak berjalan sejak {since}: ",
        "en": "The task dispatcher has not run since {since}: ",
    },
}
NEVER = {
    heartbeat.BEAT: {
        "id": "Penjadwal (beat) belum pernah berjalan: ",
        "en": "The scheduler (beat) has never run: ",
    },
    heartbeat.WORKER: {
        "id": "Pekerja latar (worker) belum pernah memproses tugas: ",
        "en": "The background workers have never processed a task: ",
    },
    heartbeat.DISPATCHER: {
        "id": "Penerus tugas (dispatcher) belum pernah berjalan: ",
        "en": "The task dispatcher has never run: ",
    },
}
# the task outbox's oldest row older than this, the dispatcher running: the broker is down
BACKLOG_ALERT_AFTER = timedelta(minutes=1)
BACKLOG = {
    "id": "{count} tugas menunggu diteruskan ke antrean kerja sejak {since}: pesan warga "
    "tersimpan, tetapi belum dijawab. Periksa broker (Redis).",
    "en": "{count} tasks have waited to be queued since {since}: citizens' messages are "
    "stored but not answered yet. Check the broker (Redis).",
}


@dataclass(frozen=True)
class ProcessAlert:
    service: str  # beat, worker, dispatcher or outbox
    seen_at: datetime | None
    text_id: str
    text_en: str


def process_alerts(session: Session, at: datetime, zone: str) -> list[ProcessAlert]:
    """The banners to show now: beat's when its heartbeat is stale or missing, else the
    workers' when theirs is; the dispatcher's when it is missing, else the task outbox's
    when its oldest row has waited longer than BACKLOG_ALERT_AFTER (the broker is down)."""
    beats = heartbeat.seen(session)
    alerts = []
    if not beats[heartbeat.BEAT].is_fresh(at):
        alerts.append(_alert(beats[heartbeat.BEAT], zone))
    elif not beats[heartbeat.WORKER].is_fresh(at):
        alerts.append(_alert(beats[heartbeat.WORKER], zone))
    if not beats[heartbeat.DISPATCHER].is_fresh(at):
        alerts.append(_alert(beats[heartbeat.DISPATCHER], zone))
    else:
        pending = outbox.backlog(session)
        if pending.oldest_at is not None and at - pending.oldest_at > BACKLOG_ALERT_AFTER:
            alerts.append(_backlog_alert(pending, zone))
    return alerts


def _backlog_alert(pending: outbox.Backlog, zone: str) -> ProcessAlert:
    def text(lang: str) -> str:
        since = format_local(pending.oldest_at, zone, lang)
        return BACKLOG[lang].format(count=pending.depth, since=since)

    return ProcessAlert("outbox", pending.oldest_at, text("id"), text("en"))


def _alert(beat: heartbeat.Heartbeat, zone: str) -> ProcessAlert:
    def text(lang: str) -> str:
        if beat.seen_at is None:
            lead = NEVER[beat.name][lang]
        else:
            lead = SINCE[beat.name][lang].format(since=format_local(beat.seen_at, zone, lang))
        return lead + EFFECTS[beat.name][lang]

    return ProcessAlert(beat.name, beat.seen_at, text("id"), text("en"))
