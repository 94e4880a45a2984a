"""The board's banner when beat or the workers are missing (their heartbeats, core/heartbeat.py,
older than two minutes or never written).

Always in both languages, Bahasa Indonesia first: an alarm on a wall screen is read by whoever
walks past, whatever language the signed-in supervisor chose. The last-seen time is the
office's local time, written as the rest of the service writes times.

The workers' heartbeat is sent by beat: while beat is missing it cannot arrive, so only beat's
banner shows then (the workers' would accuse them of beat's failure); once beat runs again a
missing worker shows within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from pandawa.core import heartbeat
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
}


@dataclass(frozen=True)
class ProcessAlert:
    service: str  # beat or worker
    seen_at: datetime | None
    text_id: str
    text_en: str


def process_alerts(session: Session, at: datetime, zone: str) -> list[ProcessAlert]:
    """The banners to show now: beat's when its heartbeat is stale or missing, else the
    workers' when theirs is."""
    beats = heartbeat.seen(session)
    if not beats[heartbeat.BEAT].is_fresh(at):
        return [_alert(beats[heartbeat.BEAT], zone)]
    if not beats[heartbeat.WORKER].is_fresh(at):
        return [_alert(beats[heartbeat.WORKER], zone)]
    return []


def _alert(beat: heartbeat.Heartbeat, zone: str) -> ProcessAlert:
    def text(lang: str) -> str:
        if beat.seen_at is None:
            lead = NEVER[beat.name][lang]
        else:
            lead = SINCE[beat.name][lang].format(since=format_local(beat.seen_at, zone, lang))
        return lead + EFFECTS[beat.name][lang]

    return ProcessAlert(beat.name, beat.seen_at, text("id"), text("en"))
