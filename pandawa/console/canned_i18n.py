"""The canned-response editor's interface strings, Bahasa Indonesia first, English on request.

The language is the shell's (`lang` cookie, pandawa/web/i18n.py); `t` looks here first and
then in the shell's strings, so base.html keeps working.
"""

from __future__ import annotations

from pandawa.web import i18n as web_i18n
from pandawa.web.i18n import language

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "canned_title": "Jawaban siap pakai",
        "canned_intro": "Jawaban yang dapat disisipkan petugas di kotak balasan. Variabel "
        "diisi dengan data tiket saat disisipkan: {variables}.",
        "canned_new": "Tambah jawaban",
        "canned_edit": "Ubah jawaban",
        "canned_all_queues": "Semua antrean",
        "canned_global": "Semua antrean (umum)",
        "canned_filter": "Tampilkan",
        "canned_none": "Belum ada jawaban.",
        "canned_col_title": "Judul",
        "canned_col_queue": "Antrean",
        "canned_col_language": "Bahasa",
        "canned_col_text": "Teks",
        "canned_col_updated": "Diubah",
        "canned_col_state": "Keadaan",
        "canned_active": "Aktif",
        "canned_retired": "Dinonaktifkan",
        "canned_retire": "Nonaktifkan",
        "canned_restore": "Aktifkan kembali",
        "canned_read_only": "Hanya dapat dibaca",
        "canned_field_queue": "Antrean",
        "canned_field_language": "Bahasa teks",
        "canned_field_title": "Judul (untuk petugas)",
        "canned_field_body": "Teks untuk warga",
        "canned_field_ticket": "Pratinjau dengan tiket (nomor, opsional)",
        "canned_body_hint": "Variabel: {variables}. Kurung kurawal hanya untuk variabel.",
        "canned_preview": "Pratinjau",
        "canned_preview_title": "Pratinjau untuk warga",
        "canned_preview_example": "Diisi dengan contoh: {name}, tiket {number}.",
        "canned_preview_ticket": "Diisi dengan data tiket {number}.",
        "canned_save": "Simpan",
        "canned_cancel": "Batal",
        "canned_errors": "Jawaban belum disimpan:",
        "canned_created": "Jawaban \u201c{title}\u201d disimpan.",
        "canned_updated": "Jawaban \u201c{title}\u201d diperbarui.",
        "canned_unchanged": "Tidak ada perubahan.",
        "canned_retired_flash": "Jawaban \u201c{title}\u201d dinonaktifkan; petugas tidak "
        "lagi melihatnya.",
        "canned_restored_flash": "Jawaban \u201c{title}\u201d aktif kembali.",
        "canned_ticket_unknown": "Tiket {number} tidak ditemukan; pratinjau memakai contoh. / "
        "Ticket {number} not found; the preview uses the example.",
        "canned_forbidden_title": "Akses ditolak",
        "canned_forbidden_text": "Jawaban siap pakai hanya dapat diubah oleh pengawas dan "
        "admin. Petugas memakainya di halaman tiket.",
        "lang_id": "Bahasa Indonesia",
        "lang_en": "English",
    },
    "en": {
        "canned_title": "Canned responses",
        "canned_intro": "Answers agents can insert in the reply box. Variables are filled with "
        "the ticket's data when inserted: {variables}.",
        "canned_new": "Add an answer",
        "canned_edit": "Edit answer",
        "canned_all_queues": "All queues",
        "canned_global": "Every queue (global)",
        "canned_filter": "Show",
        "canned_none": "No answers yet.",
        "canned_col_title": "Title",
        "canned_col_queue": "Queue",
        "canned_col_language": "Language",
        "canned_col_text": "Text",
        "canned_col_updated": "Changed",
        "canned_col_state": "State",
        "canned_active": "Active",
        "canned_retired": "Retired",
        "canned_retire": "Retire",
        "canned_restore": "Restore",
        "canned_read_only": "Read only",
        "canned_field_queue": "Queue",
        "canned_field_language": "Language of the text",
        "canned_field_title": "Title (for agents)",
        "canned_field_body": "Text for the citizen",
        "canned_field_ticket": "Preview with a ticket (number, optional)",
        "canned_body_hint": "Variables: {variables}. Braces are for variables only.",
        "canned_preview": "Preview",
        "canned_preview_title": "Preview for the citizen",
        "canned_preview_example": "Filled with an example: {name}, ticket {number}.",
        "canned_preview_ticket": "Filled with the data of ticket {number}.",
        "canned_save": "Save",
        "canned_cancel": "Cancel",
        "canned_errors": "The answer was not saved:",
        "canned_created": "Answer \u201c{title}\u201d saved.",
        "canned_updated": "Answer \u201c{title}\u201d updated.",
        "canned_unchanged": "Nothing changed.",
        "canned_retired_flash": "Answer \u201c{title}\u201d retired; agents no longer see it.",
        "canned_restored_flash": "Answer \u201c{title}\u201d is active again.",
        "canned_forbidden_title": "Access denied",
        "canned_forbidden_text": "Canned responses are edited by supervisors and admins only. "
        "Agents use them on the ticket page.",
    },
}


def t(key: str, **values: object) -> str:
    """The editor's string `key` in the request's language; then the shell's strings."""
    text = STRINGS[language()].get(key) or STRINGS["id"].get(key)
    if text is None:
        return web_i18n.t(key, **values)
    return text.format(**values) if values else text
