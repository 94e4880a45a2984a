"""The interface strings of an office's hours page (dashboard/hours.py, issue 17): emergency
closure, extra opening, undo. Bahasa Indonesia first, English on request.

The language is the shell's (`lang` cookie, pandawa/web/i18n.py); `t` looks here first and
then in the dashboard's strings (and through them the shell's), so the page frame keeps working.
"""

from __future__ import annotations

from pandawa.dashboard import i18n as dashboard_i18n
from pandawa.web.i18n import language

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "hours_title": "Jam layanan {office}",
        "hours_intro": "Tutup kantor atau satu antrean sekarang (banjir, listrik padam, gangguan "
        "sistem) atau buka di luar jam layanan. Warga yang menunggu dan yang tiketnya ditunda "
        "diberi tahu waktu layanan yang baru dalam bahasa mereka. Setiap perubahan tercatat "
        "dalam audit dan dapat dibatalkan.",
        "hours_now_open": "Saat ini buka",
        "hours_now_closed": "Saat ini tutup",
        "hours_closes_at": "tutup {when}",
        "hours_opens_at": "buka lagi {when}",
        "hours_overrides": "Penutupan dan jam tambahan yang berlaku",
        "hours_none": "Tidak ada penutupan atau jam tambahan yang berlaku.",
        "hours_history": "Riwayat",
        "hours_kind": "Jenis",
        "hours_kind_closed": "Tutup",
        "hours_kind_open": "Buka tambahan",
        "hours_scope": "Berlaku untuk",
        "hours_whole_office": "Seluruh kantor",
        "hours_from": "Mulai",
        "hours_until": "Sampai",
        "hours_reason": "Alasan",
        "hours_by": "Oleh",
        "hours_undone": "Dibatalkan {when} oleh {by}",
        "hours_undo": "Batalkan",
        "hours_close_title": "Tutup sekarang",
        "hours_close_until": "Tutup sampai (waktu setempat)",
        "hours_close_scope": "Yang ditutup",
        "hours_close_submit": "Tutup sekarang",
        "hours_open_title": "Buka tambahan",
        "hours_open_from": "Buka mulai (waktu setempat)",
        "hours_open_to": "Sampai (waktu setempat)",
        "hours_open_submit": "Buka tambahan",
        "hours_reason_hint": "Wajib diisi; tercatat dalam audit.",
        "hours_closed_flash": "{scope} ditutup sampai {until}. {deferred} tiket ditunda, "
        "{told} warga diberi tahu.",
        "hours_opened_flash": "Jam tambahan {start} sampai {end} disimpan; {told} warga "
        "diberi tahu.",
        "hours_undone_flash": "Dibatalkan; jam layanan kembali seperti semula. {told} warga "
        "diberi tahu.",
        "hours_already_undone": "Perubahan ini sudah dibatalkan.",
        "hours_bad_time": "Waktu tidak valid: isi tanggal dan jam.",
        "hours_need_reason": "Alasan wajib diisi (paling banyak 200 karakter).",
        "hours_unknown_queue": "Antrean tidak dikenal.",
        "hours_back": "Kembali ke papan",
    },
    "en": {
        "hours_title": "Service hours of {office}",
        "hours_intro": "Close the office or one queue now (flood, power cut, system outage) or "
        "open it outside its hours. Waiting citizens and those whose tickets are deferred are "
        "told the new time in their language. Every change is audited and can be undone.",
        "hours_now_open": "Open now",
        "hours_now_closed": "Closed now",
        "hours_closes_at": "closes {when}",
        "hours_opens_at": "opens again {when}",
        "hours_overrides": "Closures and extra hours in force",
        "hours_none": "No closure or extra hours in force.",
        "hours_history": "History",
        "hours_kind": "Kind",
        "hours_kind_closed": "Closed",
        "hours_kind_open": "Extra hours",
        "hours_scope": "Applies to",
        "hours_whole_office": "Whole office",
        "hours_from": "From",
        "hours_until": "Until",
        "hours_reason": "Reason",
        "hours_by": "By",
        "hours_undone": "Undone {when} by {by}",
        "hours_undo": "Undo",
        "hours_close_title": "Close now",
        "hours_close_until": "Closed until (local time)",
        "hours_close_scope": "What closes",
        "hours_close_submit": "Close now",
        "hours_open_title": "Open extra hours",
        "hours_open_from": "Open from (local time)",
        "hours_open_to": "Until (local time)",
        "hours_open_submit": "Open extra hours",
        "hours_reason_hint": "Required; kept in the audit.",
        "hours_closed_flash": "{scope} closed until {until}. {deferred} tickets deferred, "
        "{told} citizens told.",
        "hours_opened_flash": "Extra hours {start} to {end} saved; {told} citizens told.",
        "hours_undone_flash": "Undone; the hours are back to normal. {told} citizens told.",
        "hours_already_undone": "This change was undone already.",
        "hours_bad_time": "Invalid time: fill in the date and the time.",
        "hours_need_reason": "A reason is required (at most 200 characters).",
        "hours_unknown_queue": "Unknown queue.",
        "hours_back": "Back to the board",
    },
}


def t(key: str, **values: object) -> str:
    """The page's string `key` in the request's language; then the dashboard's strings."""
    text = STRINGS[language()].get(key) or STRINGS["id"].get(key)
    if text is None:
        return dashboard_i18n.t(key, **values)
    return text.format(**values) if values else text
