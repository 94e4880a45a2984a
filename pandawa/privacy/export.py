"""A citizen's data in one archive: JSON of every row held about them, and the media files
they sent as stored. What they asked for under UU 27/2022; the act is audited."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from pandawa.audit.operations import record
from pandawa.channels.media_store import stored_path
from pandawa.citizens.models import Contact
from pandawa.core.clock import now
from pandawa.core.config import Settings
from pandawa.privacy.erasure import stored_names
from pandawa.privacy.records import CitizenRecords, gather, row_dict

log = logging.getLogger(__name__)

README = """\
Ekspor data pribadi (UU No. 27/2022 tentang Pelindungan Data Pribadi)
====================================================================
Arsip ini memuat semua data yang disimpan Pandawa tentang nomor ini:
- contacts.json       kontak (nomor, nama profil WhatsApp, bahasa)
- conversations.json  percakapan dan keadaan bot
- messages.json       setiap pesan masuk dan keluar (isi, metadata media),
                      termasuk catatan internal petugas
- tickets.json        tiket dengan data yang dikumpulkan, daftar periksa, riwayat kejadian, dan
                      penilaian
- audit.json          siapa yang mengakses atau mengekspor data ini, dan kapan
- media/              berkas asli yang dikirim (foto, PDF), dinamai menurut sidik SHA-256-nya
Waktu dalam UTC (ISO 8601).

Personal data export (Indonesian Personal Data Protection Law No. 27/2022)
--------------------------------------------------------------------------
This archive holds everything Pandawa keeps about this number:
- contacts.json       the contact (number, WhatsApp profile name, language)
- conversations.json  the conversations and the bot's state
- messages.json       every message in and out (text, media metadata),
                      staff's internal notes included
- tickets.json        tickets with the details collected, their checklists, events and ratings
- audit.json          who accessed or exported this data, and when
- media/              the original files sent (photos, PDFs), named by their SHA-256
Times are UTC (ISO 8601).
"""


@dataclass
class Export:
    archive: bytes
    messages: int
    tickets: int
    files: int


def build_archive(settings: Settings, found: CitizenRecords) -> Export:
    """The zip of these records (already gathered, with their audit rows)."""
    events_by_ticket: dict[int, list[dict[str, Any]]] = {}
    for event in found.events:
        events_by_ticket.setdefault(event.ticket_id, []).append(row_dict(event))
    checklist_by_ticket: dict[int, list[dict[str, Any]]] = {}
    for item in found.checklists:
        checklist_by_ticket.setdefault(item.ticket_id, []).append(row_dict(item))
    tickets = [
        {
            **row_dict(t),
            "queue": t.queue.code,
            "events": events_by_ticket.get(t.id, []),
            "checklist": checklist_by_ticket.get(t.id, []),
        }
        for t in found.tickets
    ]
    buffer = io.BytesIO()
    files = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        for name, rows in (
            ("contacts.json", [row_dict(c) for c in found.contacts]),
            ("conversations.json", [row_dict(c) for c in found.conversations]),
            ("messages.json", [row_dict(m) for m in found.messages]),
            ("tickets.json", tickets),
            ("audit.json", [row_dict(a) for a in found.audit]),
        ):
            archive.writestr(name, json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        written: set[str] = set()
        for message in found.messages:
            for name in stored_names(message):
                path = stored_path(settings, {"status": "stored", "stored_name": name})
                if path is None or name in written or not path.is_file():
                    continue
                archive.write(path, f"media/{name}")
                written.add(name)
                files += 1
    return Export(buffer.getvalue(), len(found.messages), len(found.tickets), files)


def export_citizen(
    session: Session,
    settings: Settings,
    contacts: list[Contact],
    *,
    actor_id: int | None = None,
    actor_label: str = "",
    address: str = "",
) -> Export:
    """The archive of these contacts; one audit row each (in the caller's transaction, written
    before the archive is read, so the citizen sees this export too)."""
    for contact in contacts:
        record(
            session,
            "privacy_export",
            actor_id=actor_id,
            actor_label=actor_label,
            contact_id=contact.id,
            address=address,
            details={"generated_at": now().isoformat()},
        )
    session.flush()
    export = build_archive(settings, gather(session, contacts, with_audit=True))
    log.info(
        "privacy export contacts=%s messages=%s tickets=%s files=%s",
        [c.id for c in contacts],
        export.messages,
        export.tickets,
        export.files,
    )
    return export
