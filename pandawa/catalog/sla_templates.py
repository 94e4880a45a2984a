"""Service standards a queue can carry as its SLA targets (issue 17): the national complaint-
handling tiers of SP4N-LAPOR! (Sistem Pengelolaan Pengaduan Pelayanan Publik Nasional).

Source, as far as it was checked: the framework is Perpres No. 76 Tahun 2013 tentang
Pengelolaan Pengaduan Pelayanan Publik, with the national guideline in Permenpan RB No. 62
Tahun 2018 (Pedoman Nasional Pengelolaan Pengaduan Pelayanan Publik) and the SP4N-LAPOR! road
map in Permenpan RB No. 46 Tahun 2020. The completion tiers below are worded as agencies
restate them in their published service standards (e.g. the "Jangka Waktu Penyelesaian
Pengaduan" of services listed on sippn.menpan.go.id): "pengaduan bersifat normatif,
selambat-lambatnya 5 hari kerja; tidak berkadar pengawasan, 14 hari kerja; berkadar
pengawasan dan memerlukan pemeriksaan, 60 hari kerja". The first response within 3 working
days is LAPOR!'s stated expectation of an agency's first follow-up; the article numbers were
not verified against the regulations' text here — check them before quoting them to anyone.

Lives in the catalogue layer (the lowest that the catalogue's checks, the ticket layer and the
reports may all read): names and day counts only; the counting is hours/working_days.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlaTemplate:
    code: str
    first_response_days: int  # working days
    resolution_days: int  # working days
    label_id: str
    label_en: str


SLA_TEMPLATES: dict[str, SlaTemplate] = {
    t.code: t
    for t in (
        SlaTemplate(
            "sp4n-lapor-5",
            3,
            5,
            "SP4N-LAPOR! normatif (5 hari kerja)",
            "SP4N-LAPOR! 5 working days",
        ),
        SlaTemplate(
            "sp4n-lapor-14",
            3,
            14,
            "SP4N-LAPOR! tidak berkadar pengawasan (14 hari kerja)",
            "SP4N-LAPOR! 14 working days",
        ),
        SlaTemplate(
            "sp4n-lapor-60",
            3,
            60,
            "SP4N-LAPOR! berkadar pengawasan (60 hari kerja)",
            "SP4N-LAPOR! 60 working days",
        ),
    )
}
