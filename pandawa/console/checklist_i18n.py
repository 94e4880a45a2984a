"""The ticket page's checklist strings (issue 17, item 10), Bahasa Indonesia first."""

from __future__ import annotations

from pandawa.web.i18n import language

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "checklist": "Daftar periksa",
        "checklist_hint": "Jawaban dan dokumen yang dikirim warga kepada bot sebelum tiket "
        "diteruskan kepada petugas.",
        "state_met": "terpenuhi",
        "state_not_met": "tidak terpenuhi",
        "state_received": "diterima",
        "state_skipped": "dilewati",
        "answer": "Jawaban",
        "answer_ya": "ya",
        "answer_tidak": "tidak",
        "optional": "opsional",
        "open_document": "Buka dokumen",
        "document_not_stored": "file belum tersimpan",
    },
    "en": {
        "checklist": "Checklist",
        "checklist_hint": "What the citizen answered and sent to the bot before the ticket "
        "reached an officer.",
        "state_met": "met",
        "state_not_met": "not met",
        "state_received": "received",
        "state_skipped": "skipped",
        "answer": "Answer",
        "answer_ya": "yes",
        "answer_tidak": "no",
        "optional": "optional",
        "open_document": "Open document",
        "document_not_stored": "file not stored yet",
    },
}


def t(key: str) -> str:
    return STRINGS[language()].get(key) or STRINGS["id"].get(key, key)
