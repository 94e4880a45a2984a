"""The dashboard's interface strings, Bahasa Indonesia first, English on request.

The language is the shell's (`lang` cookie, see pandawa/web/i18n.py). In dashboard
templates `t` looks here first and then in the shell's strings, so the shared page frame
(base.html) keeps working.
"""

from __future__ import annotations

from typing import Any

from pandawa.hours.formatting import DAY_NAMES, format_date
from pandawa.reports.figures import BUCKETS
from pandawa.web import i18n as web_i18n
from pandawa.web.i18n import language

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "app": "Dasbor Pengawas Pandawa",
        "nav_dashboard": "Dasbor",
        "nav_board": "Papan langsung",
        "nav_figures": "Angka dan grafik",
        "nav_tickets": "Daftar tiket",
        "nav_blocked": "Nomor diblokir",
        "nav_console": "Konsol petugas",
        "board_title": "Papan antrean langsung",
        "updated": "Diperbarui",
        "stale": "Data belum diperbarui lebih dari 30 detik: periksa sambungan.",
        "waiting": "Menunggu",
        "deferred": "Ditunda",
        "held": "Ditangani",
        "oldest": "Tunggu terlama",
        "oldest_hint": "waktu kerja",
        "sla_target": "Target SLA",
        "breached": "MELEWATI TARGET SLA",
        "breached_text": "Tiket terlama sudah menunggu lebih dari target {target}.",
        "within": "Dalam target",
        "agents_online": "Petugas daring",
        "load": "beban",
        "no_agents": "Tidak ada petugas daring.",
        "no_queues": "Belum ada antrean.",
        "offices": "Kantor",
        "open": "Buka",
        "closed": "Tutup",
        "figures_title": "Angka waktu antrean",
        "computed_at": "Dihitung pukul {at}; angka diperbarui paling lambat setiap 5 menit.",
        "from": "Dari tanggal",
        "to": "Sampai tanggal",
        "office": "Kantor",
        "queue": "Antrean",
        "agent": "Petugas",
        "all": "Semua",
        "show": "Tampilkan",
        "period": "Periode {first} s.d. {last}",
        "per_queue": "Per antrean",
        "per_agent": "Per petugas",
        "created": "Dibuat",
        "resolved": "Selesai",
        "cancelled": "Dibatalkan",
        "transferred": "Dialihkan",
        "responded": "Dijawab",
        "wait": "Tunggu respons pertama",
        "wait_note": "Waktu kerja; waktu kalender dalam kurung.",
        "p50": "Median",
        "p90": "P90",
        "avg": "Rata-rata",
        "calendar": "kalender",
        "handle": "Waktu penanganan",
        "resolution": "Waktu penyelesaian",
        "sla": "Capaian SLA",
        "sla_missed": "Melewati SLA",
        "satisfaction": "Kepuasan",
        "answers": "{count} jawaban",
        "no_figures": "Tidak ada tiket pada periode ini.",
        "charts": "Grafik",
        "see_waited_over": "Lihat tiket yang menunggu lebih dari {value} →",
        "chart_hour": "Volume tiket per jam",
        "chart_hour_desc": "Jumlah tiket yang dibuat menurut jam (waktu setempat).",
        "chart_weekday": "Volume tiket per hari",
        "chart_weekday_desc": "Jumlah tiket yang dibuat menurut hari dalam minggu.",
        "chart_wait": "Sebaran lama tunggu",
        "chart_wait_desc": "Jumlah tiket menurut lama tunggu respons pertama (waktu kerja).",
        "chart_sla": "Capaian SLA per hari",
        "chart_sla_desc": "Persentase tiket yang dijawab dalam target SLA, per hari.",
        "axis_hour": "Jam (waktu setempat)",
        "axis_weekday": "Hari",
        "axis_wait": "Lama tunggu (waktu kerja)",
        "axis_day": "Tanggal",
        "axis_tickets": "Jumlah tiket",
        "axis_percent": "Persen tiket",
        "bar_hour": "Pukul {hour}.00–{hour}.59: {count} tiket",
        "bar_weekday": "{day}: {count} tiket",
        "bar_wait": "Tunggu {label}: {count} tiket",
        "bar_sla": "{day}: capaian {share} ({met} dari {counted} tiket)",
        "bar_sla_none": "{day}: tidak ada tiket yang dihitung",
        "carry_title": "Tiket terbawa ke hari kerja berikutnya",
        "service": "Layanan",
        "carried": "Terbawa",
        "share": "Persentase",
        "reopen_sent": "Templat dikirim",
        "reopen_answered": "Templat dijawab",
        "no_carry": "Tidak ada data kantor dan layanan.",
        "tickets_title": "Daftar tiket",
        "filter_all": "Semua tiket yang dibuat pada periode ini.",
        "download_csv": "Unduh CSV",
        "download_figures": "Unduh angka (CSV)",
        "number": "Nomor",
        "status": "Status",
        "citizen": "Warga",
        "phone": "Nomor WhatsApp",
        "created_at": "Dibuat",
        "first_response": "Respons pertama",
        "wait_business": "Lama tunggu",
        "wait_calendar": "kalender",
        "sla_met_col": "SLA",
        "met": "Tercapai",
        "missed": "Terlewat",
        "no_tickets": "Tidak ada tiket yang cocok dengan saringan ini.",
        "next_page": "Halaman berikutnya",
        "first_page": "Kembali ke awal",
        "forbidden": "Akses ditolak",
        "forbidden_text": "Dasbor hanya untuk pengawas dan admin.",
        "bad_request": "Permintaan tidak valid",
        "not_on_sqlite": "Angka ini memerlukan PostgreSQL; basis data tertanam (SQLite) tidak "
        "mendukungnya.",
        "st_deferred": "Ditunda",
        "st_waiting": "Menunggu",
        "st_assigned": "Ditangani",
        "st_resolved": "Selesai",
        "st_cancelled": "Dibatalkan",
        # the drill-down filter in words
        "d_status": "berstatus {value}",
        "d_waited_over": "menunggu lebih dari {value} (waktu kerja)",
        "d_wait_bucket": "dengan lama tunggu {value}",
        "d_sla_met": "dijawab dalam target SLA",
        "d_sla_missed": "melewati target SLA",
        "d_hour": "dibuat pukul {value}.00–{value}.59",
        "d_weekday": "dibuat pada hari {value}",
        "d_day": "dibuat pada {value}",
        "d_carried_yes": "terbawa ke hari kerja berikutnya",
        "d_carried_no": "selesai dijawab pada hari yang sama",
        "d_service": "untuk layanan {value}",
        "d_reopen_sent": "dikirimi templat pembuka kembali",
        "d_reopen_answered": "yang templat pembuka kembalinya dijawab warga",
        "d_transferred_yes": "yang pernah dialihkan",
        "d_transferred_no": "yang tidak pernah dialihkan",
        "d_queue": "di antrean {value}",
        "d_office": "di kantor {value}",
        "d_agent": "ditangani {value}",
        "d_lead": "Periode {first} s.d. {last}: tiket {filters}.",
        "d_lead_all": "Periode {first} s.d. {last}: semua tiket.",
        "d_and": " dan ",
        # issue 17: the board's link to an office's hours page (dashboard/hours.py)
        "office_hours_link": "Tutup / buka tambahan",
        # one definition of every figure (issue 17)
        "reopened": "Dibuka kembali",
        # issue 17: scopes
        "not_found": "Tidak ditemukan",
        "scope_label": "Cakupan Anda",
    },
    "en": {
        "app": "Pandawa Supervisor Dashboard",
        "nav_dashboard": "Dashboard",
        "nav_board": "Live board",
        "nav_figures": "Figures and charts",
        "nav_tickets": "Ticket list",
        "nav_blocked": "Blocked numbers",
        "nav_console": "Agent console",
        "board_title": "Live queue board",
        "updated": "Updated",
        "stale": "Not updated for more than 30 seconds: check the connection.",
        "waiting": "Waiting",
        "deferred": "Deferred",
        "held": "Held",
        "oldest": "Oldest wait",
        "oldest_hint": "business time",
        "sla_target": "SLA target",
        "breached": "SLA TARGET PASSED",
        "breached_text": "The oldest ticket has waited longer than the {target} target.",
        "within": "Within target",
        "agents_online": "Agents online",
        "load": "load",
        "no_agents": "No agent online.",
        "no_queues": "No queues yet.",
        "offices": "Offices",
        "open": "Open",
        "closed": "Closed",
        "figures_title": "Queue-time figures",
        "computed_at": "Computed at {at}; the figures are refreshed at least every 5 minutes.",
        "from": "From",
        "to": "To",
        "office": "Office",
        "queue": "Queue",
        "agent": "Agent",
        "all": "All",
        "show": "Show",
        "period": "Period {first} to {last}",
        "per_queue": "Per queue",
        "per_agent": "Per agent",
        "created": "Created",
        "resolved": "Resolved",
        "cancelled": "Cancelled",
        "transferred": "Transferred",
        "responded": "Answered",
        "wait": "Wait to first response",
        "wait_note": "Business time; calendar time in brackets.",
        "p50": "Median",
        "p90": "P90",
        "avg": "Average",
        "calendar": "calendar",
        "handle": "Handle time",
        "resolution": "Resolution time",
        "sla": "SLA attainment",
        "sla_missed": "SLA missed",
        "satisfaction": "Satisfaction",
        "answers": "{count} answers",
        "no_figures": "No tickets in this period.",
        "charts": "Charts",
        "see_waited_over": "See the tickets that waited more than {value} →",
        "chart_hour": "Ticket volume by hour",
        "chart_hour_desc": "Tickets created by hour of day (local time).",
        "chart_weekday": "Ticket volume by weekday",
        "chart_weekday_desc": "Tickets created by day of the week.",
        "chart_wait": "Wait-time distribution",
        "chart_wait_desc": "Tickets by wait to first response (business time).",
        "chart_sla": "SLA attainment by day",
        "chart_sla_desc": "Share of tickets answered within the SLA target, per day.",
        "axis_hour": "Hour (local time)",
        "axis_weekday": "Day",
        "axis_wait": "Wait (business time)",
        "axis_day": "Date",
        "axis_tickets": "Tickets",
        "axis_percent": "Percent of tickets",
        "bar_hour": "{hour}:00–{hour}:59: {count} tickets",
        "bar_weekday": "{day}: {count} tickets",
        "bar_wait": "Wait {label}: {count} tickets",
        "bar_sla": "{day}: {share} attained ({met} of {counted} tickets)",
        "bar_sla_none": "{day}: no tickets counted",
        "carry_title": "Tickets carried over to the next working day",
        "service": "Service",
        "carried": "Carried over",
        "share": "Share",
        "reopen_sent": "Templates sent",
        "reopen_answered": "Templates answered",
        "no_carry": "No office and service data.",
        "tickets_title": "Ticket list",
        "filter_all": "All tickets created in this period.",
        "download_csv": "Download CSV",
        "download_figures": "Download figures (CSV)",
        "number": "Number",
        "status": "Status",
        "citizen": "Citizen",
        "phone": "WhatsApp number",
        "created_at": "Created",
        "first_response": "First response",
        "wait_business": "Wait",
        "wait_calendar": "calendar",
        "sla_met_col": "SLA",
        "met": "Met",
        "missed": "Missed",
        "no_tickets": "No tickets match this filter.",
        "next_page": "Next page",
        "first_page": "Back to the start",
        "forbidden": "Access denied",
        "forbidden_text": "The dashboard is for supervisors and admins only.",
        "bad_request": "Invalid request",
        "not_on_sqlite": "These figures need PostgreSQL; the embedded database (SQLite) cannot "
        "compute them.",
        "st_deferred": "Deferred",
        "st_waiting": "Waiting",
        "st_assigned": "Assigned",
        "st_resolved": "Resolved",
        "st_cancelled": "Cancelled",
        "d_status": "with status {value}",
        "d_waited_over": "that waited more than {value} (business time)",
        "d_wait_bucket": "with a wait of {value}",
        "d_sla_met": "answered within the SLA target",
        "d_sla_missed": "that missed the SLA target",
        "d_hour": "created {value}:00–{value}:59",
        "d_weekday": "created on a {value}",
        "d_day": "created on {value}",
        "d_carried_yes": "carried over to the next working day",
        "d_carried_no": "not carried over",
        "d_service": "for service {value}",
        "d_reopen_sent": "sent a reopening template",
        "d_reopen_answered": "whose reopening template was answered",
        "d_transferred_yes": "that were transferred",
        "d_transferred_no": "that were never transferred",
        "d_queue": "in queue {value}",
        "d_office": "at office {value}",
        "d_agent": "handled by {value}",
        "d_lead": "Period {first} to {last}: tickets {filters}.",
        "d_lead_all": "Period {first} to {last}: all tickets.",
        "d_and": " and ",
        # issue 17: the board's link to an office's hours page (dashboard/hours.py)
        "office_hours_link": "Close / open extra hours",
        # one definition of every figure (issue 17)
        "reopened": "Reopened",
        # issue 17: scopes
        "not_found": "Not found",
        "scope_label": "Your scope",
    },
}

WEEKDAYS_SHORT = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def t(key: str, **values: object) -> str:
    """The dashboard string `key` in the request's language; then the console's strings."""
    lang = language()
    text = STRINGS[lang].get(key) or STRINGS["id"].get(key)
    if text is None:
        return web_i18n.t(key, **values)
    return text.format(**values) if values else text


def business_duration(seconds: float | None) -> str:
    """A wait as the board shows it: "1 j 05 m", "45 m", "0 m"; English "1 h 05 min"."""
    if seconds is None:
        return "–"
    minutes = max(0, int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    en = language() == "en"
    if hours:
        return f"{hours} h {minutes:02d} min" if en else f"{hours} j {minutes:02d} m"
    return f"{minutes} min" if en else f"{minutes} m"


def number(value: float | None, digits: int = 1) -> str:
    """A decimal in the reader's convention: 4,2 in Indonesian, 4.2 in English."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text if language() == "en" else text.replace(".", ",")


def describe(drill: Any, scope: Any) -> str:
    """What a drill-down list holds, in words: "Tiket di antrean KTP menunggu lebih dari
    30 m (waktu kerja) yang dibuat Selasa, 1 Desember 2026 s.d. …"."""

    lang = language()
    parts: list[str] = []
    for key, value in (
        ("d_office", scope.office_code),
        ("d_queue", scope.queue_code),
        ("d_agent", scope.agent_key),
        ("d_service", drill.service),
    ):
        if value:
            parts.append(t(key, value=value))
    if drill.status:
        parts.append(t("d_status", value=t("st_" + drill.status).lower()))
    if drill.waited_over is not None:
        parts.append(t("d_waited_over", value=business_duration(drill.waited_over)))
    if drill.wait_bucket:
        parts.append(t("d_wait_bucket", value=bucket_label(drill.wait_bucket)))
    if drill.sla in ("met", "missed"):
        parts.append(t("d_sla_" + drill.sla))
    if drill.hour is not None:
        parts.append(t("d_hour", value=f"{drill.hour:02d}"))
    if drill.weekday is not None:
        parts.append(t("d_weekday", value=DAY_NAMES[lang][drill.weekday]))
    if drill.day is not None:
        parts.append(t("d_day", value=format_date(drill.day, lang)))
    if drill.carried_over is not None:
        parts.append(t("d_carried_yes" if drill.carried_over else "d_carried_no"))
    if drill.reopen in ("sent", "answered"):
        parts.append(t("d_reopen_" + drill.reopen))
    if drill.transferred is not None:
        parts.append(t("d_transferred_yes" if drill.transferred else "d_transferred_no"))
    first = format_date(scope.first_day, lang)
    last = format_date(scope.last_day, lang)
    if not parts:
        return t("d_lead_all", first=first, last=last)
    return t("d_lead", filters=t("d_and").join(parts), first=first, last=last)


# English names of figures.BUCKETS (whose labels are Indonesian)
BUCKET_LABELS_EN = {
    "lt5m": "< 5 min",
    "5-15m": "5–15 min",
    "15-30m": "15–30 min",
    "30-60m": "30–60 min",
    "1-2h": "1–2 h",
    "2-4h": "2–4 h",
    "4-8h": "4–8 h",
    "ge8h": "≥ 8 h",
}


def bucket_label(key: str, label: str | None = None) -> str:
    """A wait bucket's name in the reader's language ("30–60 menit"); the key if unknown."""
    if language() == "en" and key in BUCKET_LABELS_EN:
        return BUCKET_LABELS_EN[key]
    if label:
        return label

    return next((name for code, name, *_ in BUCKETS if code == key), key)
