"""The console's interface strings: Bahasa Indonesia by default, English on request.

The language is chosen with the `lang` cookie (set by POST /lang); anything else falls back
to Indonesian. Citizen-facing texts are not here: they come from the catalogue.
"""

from __future__ import annotations

from flask import request

LANGUAGES = ("id", "en")
COOKIE = "lang"

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "app": "Konsol Petugas Pandawa",
        "skip": "Lewati ke konten utama",
        "sign_in": "Masuk",
        "sign_out": "Keluar",
        "email": "Alamat email",
        "password": "Kata sandi",
        "bad_login": "Email atau kata sandi salah.",
        "locked": "Terlalu banyak percobaan masuk yang gagal. Silakan coba lagi dalam 15 menit.",
        "signed_out": "Anda telah keluar.",
        "language": "Bahasa",
        "change": "Ubah",
        "presence": "Status",
        "online": "Daring",
        "away": "Sedang pergi",
        "offline": "Luring",
        "my_queues": "Antrean saya",
        "queue": "Antrean",
        "waiting": "Menunggu",
        "deferred": "Ditunda",
        "assigned": "Ditangani",
        "resolved": "Selesai",
        "cancelled": "Dibatalkan",
        "tickets": "Tiket",
        "number": "Nomor",
        "citizen": "Warga",
        "phone": "Nomor WhatsApp",
        "wait": "Lama menunggu",
        "last_message": "Pesan terakhir",
        "status": "Status",
        "claim_next": "Ambil tiket berikutnya",
        "none_waiting": "Tidak ada tiket menunggu.",
        "claimed": "Tiket {number} kini Anda tangani.",
        "no_tickets": "Tidak ada tiket terbuka.",
        "previous": "Sebelumnya",
        "next": "Berikutnya",
        "mine": "Saya",
        "conversation": "Percakapan",
        "details": "Data yang dikumpulkan bot",
        "earlier": "Tiket sebelumnya dari warga ini",
        "date": "Tanggal",
        "window_open": "Jendela 24 jam terbuka sampai {until}.",
        "window_closed": "Jendela 24 jam tertutup: pesan Anda akan ditahan dan templat akan "
        "dikirim terlebih dahulu.",
        "reply": "Balasan",
        "send": "Kirim",
        "send_hint": "Tekan Ctrl+Enter untuk mengirim.",
        "canned": "Jawaban siap pakai",
        "insert": "Sisipkan",
        "note": "Catatan internal",
        "add_note": "Simpan catatan",
        "note_hint": "Catatan internal tidak pernah dikirim ke warga.",
        "transfer": "Alihkan ke antrean lain",
        "reason": "Alasan",
        "do_transfer": "Alihkan",
        "resolve": "Tandai selesai",
        "sent": "Pesan dikirim.",
        "held_sent": "Pesan ditahan; templat dikirim terlebih dahulu.",
        "noted": "Catatan disimpan.",
        "transferred": "Tiket dialihkan ke antrean {queue}.",
        "resolved_flash": "Tiket {number} ditandai selesai.",
        "held": "ditahan",
        "failed": "gagal",
        "pending": "menunggu dikirim",
        "note_badge": "Catatan",
        "bot": "Bot",
        "back": "Kembali ke daftar",
        "not_found": "Halaman tidak ditemukan",
        "not_found_text": "Halaman yang Anda cari tidak ada atau tidak dapat Anda buka.",
        "no_messages": "Belum ada pesan.",
        "attachment": "Lampiran",
        "users": "Pengguna",
        "name": "Nama",
        "role": "Peran",
        "queues": "Antrean",
        "active": "Aktif",
        "create_user": "Tambah pengguna",
        "save": "Simpan",
        "deactivate": "Nonaktifkan",
        "user_created": "Pengguna {email} ditambahkan.",
        "user_saved": "Pengguna {email} diperbarui.",
        "user_deactivated": "Pengguna {email} dinonaktifkan.",
        "yes": "Ya",
        "no": "Tidak",
        "holder": "Petugas",
        "presence_saved": "Status Anda: {state}.",
        "before_ticket": "Sebelum tiket dibuat: percakapan warga dengan bot",
    },
    "en": {
        "app": "Pandawa Agent Console",
        "skip": "Skip to main content",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "email": "Email address",
        "password": "Password",
        "bad_login": "Wrong email or password.",
        "locked": "Too many failed sign-in attempts. Please try again in 15 minutes.",
        "signed_out": "You have signed out.",
        "language": "Language",
        "change": "Change",
        "presence": "Status",
        "online": "Online",
        "away": "Away",
        "offline": "Offline",
        "my_queues": "My queues",
        "queue": "Queue",
        "waiting": "Waiting",
        "deferred": "Deferred",
        "assigned": "Assigned",
        "resolved": "Resolved",
        "cancelled": "Cancelled",
        "tickets": "Tickets",
        "number": "Number",
        "citizen": "Citizen",
        "phone": "WhatsApp number",
        "wait": "Waiting time",
        "last_message": "Last message",
        "status": "Status",
        "claim_next": "Claim next ticket",
        "none_waiting": "No ticket is waiting.",
        "claimed": "You now hold ticket {number}.",
        "no_tickets": "No open tickets.",
        "previous": "Previous",
        "next": "Next",
        "mine": "Me",
        "conversation": "Conversation",
        "details": "Details collected by the bot",
        "earlier": "This citizen's earlier tickets",
        "date": "Date",
        "window_open": "The 24-hour window is open until {until}.",
        "window_closed": "The 24-hour window is closed: your message will be held and a "
        "template sent first.",
        "reply": "Reply",
        "send": "Send",
        "send_hint": "Press Ctrl+Enter to send.",
        "canned": "Canned responses",
        "insert": "Insert",
        "note": "Internal note",
        "add_note": "Save note",
        "note_hint": "Internal notes are never sent to the citizen.",
        "transfer": "Transfer to another queue",
        "reason": "Reason",
        "do_transfer": "Transfer",
        "resolve": "Resolve",
        "sent": "Message sent.",
        "held_sent": "Message held; a template is sent first.",
        "noted": "Note saved.",
        "transferred": "Ticket transferred to queue {queue}.",
        "resolved_flash": "Ticket {number} resolved.",
        "held": "held",
        "failed": "failed",
        "pending": "pending",
        "note_badge": "Note",
        "bot": "Bot",
        "back": "Back to the list",
        "not_found": "Page not found",
        "not_found_text": "The page you are looking for does not exist or is not yours to open.",
        "no_messages": "No messages yet.",
        "attachment": "Attachment",
        "users": "Users",
        "name": "Name",
        "role": "Role",
        "queues": "Queues",
        "active": "Active",
        "create_user": "Add user",
        "save": "Save",
        "deactivate": "Deactivate",
        "user_created": "User {email} added.",
        "user_saved": "User {email} updated.",
        "user_deactivated": "User {email} deactivated.",
        "yes": "Yes",
        "no": "No",
        "holder": "Agent",
        "presence_saved": "Your status: {state}.",
        "before_ticket": "Before the ticket: the citizen with the bot",
    },
}


# the names of the details the bot collects (catalogue `collect` fields) as agents read them;
# a field not listed shows as its name with spaces ("incident_place" → "Incident place")
DETAIL_LABELS: dict[str, dict[str, str]] = {
    "id": {
        "service": "Layanan",
        "nik": "NIK",
        "card_number": "Nomor kartu JKN",
        "complaint": "Keluhan",
        "family_card": "Foto Kartu Keluarga",
        "incident_date": "Tanggal kejadian",
        "new_facility": "Faskes tujuan",
        "request": "Permintaan",
        "satisfaction_comment": "Komentar penilaian",
    },
    "en": {
        "service": "Service",
        "nik": "NIK",
        "card_number": "JKN card number",
        "complaint": "Complaint",
        "family_card": "Family Card photo",
        "incident_date": "Date of the incident",
        "new_facility": "New facility",
        "request": "Request",
        "satisfaction_comment": "Rating comment",
    },
}


def detail_label(key: str) -> str:
    """The label of a collected detail in the request's language."""
    known = DETAIL_LABELS[language()].get(key) or DETAIL_LABELS["id"].get(key)
    if known:
        return known
    words = str(key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def language() -> str:
    chosen = request.cookies.get(COOKIE, "id")
    return chosen if chosen in LANGUAGES else "id"


def t(key: str, **values: object) -> str:
    """The UI string `key` in the request's language (Indonesian when missing)."""
    text = STRINGS[language()].get(key) or STRINGS["id"].get(key, key)
    return text.format(**values) if values else text
