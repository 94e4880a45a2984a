"""Interface strings of the SLA alerts and the settings page (issue 17), Bahasa Indonesia first.

Kept apart from dashboard/i18n.py so the feature's words sit together; `t` falls back to the
dashboard's strings (and through them the shell's) for the shared frame.
"""

from __future__ import annotations

from pandawa.dashboard import i18n as dashboard_i18n
from pandawa.web.i18n import language

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "sla_alerts_title": "Peringatan SLA",
        "sla_alerts_none": "Tidak ada peringatan SLA aktif.",
        "sla_alerts_new": "Peringatan SLA baru",
        "sla_sound": "Aktifkan suara peringatan",
        "sla_sound_on": "Suara peringatan aktif",
        "sla_col_ticket": "Tiket",
        "sla_col_queue": "Antrean",
        "sla_col_kind": "Target",
        "sla_col_level": "Tingkat",
        "sla_col_waited": "Waktu kerja berlalu",
        "sla_col_action": "Tindakan",
        "sla_kind_first_response": "Tanggapan pertama",
        "sla_kind_resolution": "Penyelesaian",
        "sla_level_80": "80 % target",
        "sla_level_100": "Target terlampaui",
        "sla_waited_of": "{waited} dari {target}",
        "sla_ack": "Tandai sudah ditangani",
        "sla_acked_flash": "Peringatan SLA tiket {number} ditandai sudah ditangani.",
        "sla_not_found": "Peringatan SLA tidak ditemukan.",
        "sla_history_title": "Riwayat peringatan SLA",
        "sla_history_intro": "Peringatan yang muncul pada rentang tanggal ini, per antrean.",
        "sla_history_none": "Tidak ada peringatan SLA pada rentang ini.",
        "sla_history_link": "Riwayat peringatan SLA",
        "sla_col_crossed": "Muncul",
        "sla_col_acked": "Ditangani oleh",
        "sla_col_count_80": "Peringatan 80 %",
        "sla_col_count_100": "Target terlampaui",
        "sla_show": "Tampilkan",
        "sla_from": "Dari",
        "sla_to": "Sampai",
        # the settings page
        "nav_settings": "Pengaturan antrean",
        "settings_title": "Pengaturan antrean",
        "settings_intro": "Target dihitung dalam waktu kerja kantor. Nilai yang diubah di sini "
        "tetap berlaku walaupun katalog dimuat ulang (pandawa catalog load).",
        "settings_none": "Tidak ada antrean yang dapat Anda atur.",
        "settings_first_response": "Target tanggapan pertama (menit)",
        "settings_resolution": "Target penyelesaian (menit, kosong: tanpa target)",
        "settings_auto_assign": "Penugasan otomatis",
        "settings_idle_return": "Kembali ke antrean bila warga tak dijawab (menit kerja)",
        "settings_template": "Standar layanan",
        "settings_template_note": "Antrean ini memakai standar {label}: kedua target dihitung "
        "dalam hari kerja dan menit di bawah tidak dipakai untuk peringatan.",
        "settings_live_capacity": "Kapasitas antrean langsung",
        "settings_save": "Simpan",
        "settings_saved": "Pengaturan antrean {code} disimpan.",
        "settings_unchanged": "Tidak ada yang berubah pada antrean {code}.",
        "settings_agents": "Kapasitas petugas",
        "settings_agent": "Petugas",
        "settings_capacity": "Kapasitas (tiket sekaligus)",
        "settings_capacity_saved": "Kapasitas {name} disimpan.",
        "settings_error_number": "{field}: isi bilangan bulat {low} sampai {high}.",
        "settings_edited": "Terakhir diubah di halaman ini: {when}",
        "settings_me": "Peringatan SLA ke e-mail saya",
        "settings_email": "Alamat e-mail untuk peringatan (kosongkan bila tidak perlu)",
        "settings_email_note": "Peringatan 80 % dikirim ke pengawas; peringatan target "
        "terlampaui juga ke admin. Hanya tiket yang dapat Anda lihat.",
        "settings_email_off": "Pengiriman e-mail belum diaktifkan di server "
        "(SLA_ALERT_EMAIL_SMTP_URL).",
        "settings_email_saved": "Alamat e-mail peringatan disimpan.",
        "settings_email_bad": "Alamat e-mail tidak valid",
        "settings_wa": "Nomor WhatsApp untuk peringatan (mis. 0812…)",
        "settings_wa_now": "Sekarang: {number}",
        "settings_wa_clear": "Hapus nomor",
        "settings_wa_off": "Katalog belum memiliki templat WhatsApp yang disetujui (sla_alert): "
        "peringatan belum dikirim lewat WhatsApp.",
        "settings_wa_saved": "Nomor WhatsApp peringatan disimpan.",
        "settings_wa_bad": "Nomor WhatsApp tidak valid",
    },
    "en": {
        "sla_alerts_title": "SLA alerts",
        "sla_alerts_none": "No active SLA alerts.",
        "sla_alerts_new": "New SLA alert",
        "sla_sound": "Turn alert sound on",
        "sla_sound_on": "Alert sound on",
        "sla_col_ticket": "Ticket",
        "sla_col_queue": "Queue",
        "sla_col_kind": "Target",
        "sla_col_level": "Level",
        "sla_col_waited": "Business time waited",
        "sla_col_action": "Action",
        "sla_kind_first_response": "First response",
        "sla_kind_resolution": "Resolution",
        "sla_level_80": "80 % of target",
        "sla_level_100": "Target exceeded",
        "sla_waited_of": "{waited} of {target}",
        "sla_ack": "Acknowledge",
        "sla_acked_flash": "SLA alert of ticket {number} acknowledged.",
        "sla_not_found": "SLA alert not found.",
        "sla_history_title": "SLA alert history",
        "sla_history_intro": "Alerts raised in this date range, per queue.",
        "sla_history_none": "No SLA alerts in this range.",
        "sla_history_link": "SLA alert history",
        "sla_col_crossed": "Raised",
        "sla_col_acked": "Acknowledged by",
        "sla_col_count_80": "80 % alerts",
        "sla_col_count_100": "Target exceeded",
        "sla_show": "Show",
        "sla_from": "From",
        "sla_to": "To",
        "nav_settings": "Queue settings",
        "settings_title": "Queue settings",
        "settings_intro": "Targets count the office's business time. Values changed here stay "
        "in force when the catalogue is loaded again (pandawa catalog load).",
        "settings_none": "There are no queues you can set.",
        "settings_first_response": "First-response target (minutes)",
        "settings_resolution": "Resolution target (minutes, empty: none)",
        "settings_auto_assign": "Automatic assignment",
        "settings_idle_return": "Back to the queue when the citizen is unanswered (business "
        "minutes)",
        "settings_template": "Service standard",
        "settings_template_note": "This queue follows {label}: both targets count working days "
        "and the minutes below are not used for alerts.",
        "settings_live_capacity": "Live queue capacity",
        "settings_save": "Save",
        "settings_saved": "Settings of queue {code} saved.",
        "settings_unchanged": "Nothing changed in queue {code}.",
        "settings_agents": "Agent capacity",
        "settings_agent": "Agent",
        "settings_capacity": "Capacity (tickets at once)",
        "settings_capacity_saved": "Capacity of {name} saved.",
        "settings_error_number": "{field}: enter a whole number from {low} to {high}.",
        "settings_edited": "Last changed in this page: {when}",
        "settings_me": "SLA alerts to my e-mail",
        "settings_email": "E-mail address for alerts (leave empty for none)",
        "settings_email_note": "80 % alerts go to supervisors; exceeded targets to admins as "
        "well. Only tickets you can see.",
        "settings_email_off": "E-mail sending is not switched on on the server "
        "(SLA_ALERT_EMAIL_SMTP_URL).",
        "settings_email_saved": "Alert e-mail address saved.",
        "settings_email_bad": "Invalid e-mail address",
        "settings_wa": "WhatsApp number for alerts (e.g. 0812…)",
        "settings_wa_now": "Now: {number}",
        "settings_wa_clear": "Remove the number",
        "settings_wa_off": "The catalogue has no approved WhatsApp template (sla_alert) yet: "
        "alerts are not sent on WhatsApp.",
        "settings_wa_saved": "Alert WhatsApp number saved.",
        "settings_wa_bad": "Invalid WhatsApp number",
    },
}


def t(key: str, **values: object) -> str:
    text = STRINGS[language()].get(key) or STRINGS["id"].get(key)
    if text is None:
        return dashboard_i18n.t(key, **values)
    return text.format(**values) if values else text
