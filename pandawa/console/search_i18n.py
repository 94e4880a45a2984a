"""The search page's strings, Bahasa Indonesia first, English on request; then the shell's
(`t` here falls back to pandawa/web/i18n.py, so base.html keeps its strings)."""

from __future__ import annotations

from pandawa.web import i18n as web_i18n
from pandawa.web.i18n import language

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "search_title": "Cari tiket",
        "search_label": "Kata pencarian",
        "search_placeholder": "Nomor tiket, nomor telepon, nama warga, atau isi pesan",
        "search_in": "Cari di",
        "field_all": "Semua",
        "field_number": "Nomor tiket",
        "field_phone": "Nomor telepon",
        "field_name": "Nama warga",
        "field_text": "Isi pesan",
        "search_status": "Status",
        "search_from": "Dari tanggal",
        "search_to": "Sampai tanggal",
        "search_button": "Cari",
        "search_keys": "Tekan / dari halaman konsol mana pun untuk mencari, Enter untuk "
        "mencari, ↑ ↓ untuk memilih hasil, dan Enter untuk membukanya. Kata berakhiran * "
        "dicari sebagai awalan (fask* menemukan faskes).",
        "search_none": "Tidak ada tiket yang cocok dengan pencarian Anda.",
        "search_start": "Ketik kata pencarian atau pilih status atau tanggal, lalu tekan Enter.",
        "search_results": "Hasil pencarian",
        "search_created": "Dibuat",
        "search_match": "Pesan yang cocok",
        "search_newer": "Lebih baru",
        "search_older": "Lebih lama",
        "search_first": "Hasil terbaru",
        "too_short": "Kata pencarian terlalu pendek: ketik minimal 3 karakter "
        "(untuk nomor telepon, minimal 3 angka).",
        "too_long": "Kata pencarian terlalu panjang: paling banyak 100 karakter.",
        "unknown_field": "Pilihan kolom pencarian tidak dikenal.",
        "unknown_status": "Status tidak dikenal.",
        "bad_date": "Tanggal tidak valid: gunakan format TTTT-BB-HH.",
        "dates_reversed": "Tanggal awal jatuh setelah tanggal akhir.",
    },
    "en": {
        "search_title": "Search tickets",
        "search_label": "Search terms",
        "search_placeholder": "Ticket number, phone number, citizen's name, or message text",
        "search_in": "Search in",
        "field_all": "Everything",
        "field_number": "Ticket number",
        "field_phone": "Phone number",
        "field_name": "Citizen's name",
        "field_text": "Message text",
        "search_status": "Status",
        "search_from": "From date",
        "search_to": "To date",
        "search_button": "Search",
        "search_keys": "Press / on any console page to search, Enter to search, ↑ ↓ to pick a "
        "result and Enter to open it. A word ending in * is a prefix (fask* finds faskes).",
        "search_none": "No ticket matches your search.",
        "search_start": "Type what to look for, or pick a status or dates, then press Enter.",
        "search_results": "Search results",
        "search_created": "Created",
        "search_match": "Matching message",
        "search_newer": "Newer",
        "search_older": "Older",
        "search_first": "Newest results",
        "too_short": "The search is too short: type at least 3 characters (3 digits for a "
        "phone number).",
        "too_long": "The search is too long: at most 100 characters.",
        "unknown_field": "Unknown search field.",
        "unknown_status": "Unknown status.",
        "bad_date": "Invalid date: use the form YYYY-MM-DD.",
        "dates_reversed": "The start date is after the end date.",
    },
}


def t(key: str, **values: object) -> str:
    """The search page's string `key` in the request's language; then the shell's strings."""
    text = STRINGS[language()].get(key) or STRINGS["id"].get(key)
    if text is None:
        return web_i18n.t(key, **values)
    return text.format(**values) if values else text
