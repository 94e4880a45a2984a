"""Free questions answered from the shipped FAQ, as citizens really write them."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandawa.catalog.fields import Localized
from pandawa.catalog.loader import load_file
from pandawa.catalog.schema import SHIPPED_CATALOG, FaqEntry
from pandawa.conversations.faq import THRESHOLD, best_answers


@functools.cache
def shipped():
    return load_file(SHIPPED_CATALOG)


@pytest.fixture
def catalog():
    return shipped()


def entry_about(catalog, question_start: str) -> FaqEntry:
    (entry,) = [e for e in catalog.faq if e.question.id.startswith(question_start)]
    return entry


def first_answer(catalog, text: str, language: str = "id") -> FaqEntry | None:
    matches = best_answers(catalog, text, language)
    return matches[0].entry if matches else None


QUESTIONS = [
    # (what the citizen types, the start of the Indonesian question that must come first)
    ("sy mau pindah faskes", "Bagaimana cara pindah faskes"),
    ("gmn cara pindah faskes?", "Bagaimana cara pindah faskes"),
    ("bgmn cara ganti puskesmas", "Bagaimana cara pindah faskes"),
    ("mau pindh faskes", "Bagaimana cara pindah faskes"),
    ("saya mau ganti klinik, caranya gimana ya", "Bagaimana cara pindah faskes"),
    (
        "Selamat siang, sy mau tanya gmn caranya pindah faskes soalnya skrg jauh bgt",
        "Bagaimana cara pindah faskes",
    ),
    ("kapan faskes baru saya berlaku", "Kapan faskes baru"),
    ("sy lg mudik, bisa berobat di puskesmas sini?", "Bisakah saya berobat di faskes lain"),
    ("cara daftar bpjs mandiri", "Bagaimana cara mendaftar menjadi peserta"),
    ("cara daftar bayi baru lahir gmn", "Bagaimana cara mendaftarkan bayi"),
    ("istri sy blm terdaftar, gmn cara tambahnya", "Bagaimana cara menambah anggota"),
    ("mau nambah anak di kk", "Bagaimana cara menambah anggota"),
    ("kartu sy nonaktif gmn aktifin lg", "Kepesertaan JKN saya tidak aktif"),
    ("cek status kepesertaan", "Bagaimana cara mengecek status kepesertaan"),
    ("tanggal lahir sy salah", "Bagaimana memperbaiki nama"),
    ("sy pindah rumah ke bekasi", "Saya pindah alamat"),
    ("iuran kelas 3 brp", "Berapa besar iuran"),
    ("bisa bayar di indomaret?", "Di mana saja saya dapat membayar"),
    ("daftar autodebet", "Bagaimana cara mendaftar autodebet"),
    ("sy nunggak 5 bulan", "Bagaimana cara mengecek tagihan"),
    ("sy telat bayar iuran, kena denda?", "Apa akibatnya bila saya terlambat"),
    ("apa itu denda pelayanan", "Apa itu denda pelayanan"),
    ("tunggakan bisa dicicil?", "Bisakah tunggakan iuran dicicil"),
    ("mau naik kelas", "Bisakah saya pindah kelas"),
    ("apa itu pbi", "Apa itu peserta PBI"),
    ("pbi saya dinonaktifkan", "Kepesertaan PBI saya dinonaktifkan"),
    ("kantor sy tidak bayar iuran", "Saya didaftarkan perusahaan"),
    ("sy kena phk", "Saya terkena PHK"),
    ("sy sudah pensiun", "Bagaimana kepesertaan saya setelah pensiun"),
    ("jadi tki ke malaysia", "Saya akan bekerja di luar negeri"),
    ("rujkan ke rumah sakit gmn", "Bagaimana cara mendapatkan rujukan"),
    ("rujukan sy udah habis", "Bagaimana cara mendapatkan rujukan"),
    ("obat saya tidak ditanggung", "Layanan apa saja yang dijamin"),
    ("anak sy kecelakaan, harus ke igd mana", "Apa yang harus dilakukan dalam keadaan gawat"),
    ("apa itu mobile jkn", "Apa itu aplikasi Mobile JKN"),
    ("lupa password mobile jkn", "Bagaimana cara mendaftar dan masuk"),
    ("cara ambil antrian online", "Bagaimana cara mengambil antrean"),
    ("kis digital", "Apa itu KIS Digital"),
    ("kartu saya hilang bagaimana berobat", "Kartu JKN saya hilang"),
    ("mau komplain rs minta bayaran", "Ke mana saya dapat menyampaikan pengaduan"),
    ("jam buka kantor", "Kapan jam layanan"),
    ("hari sabtu buka?", "Kapan jam layanan"),
    ("apakah gratis", "Apakah layanan Pandawa berbayar"),
    ("ada yg minta transfer ngaku petugas bpjs", "Apakah layanan Pandawa berbayar"),
]


@pytest.mark.parametrize(("text", "expected"), QUESTIONS)
def test_citizens_questions_find_the_right_entry_first(catalog, text, expected):
    matches = best_answers(catalog, text, "id")

    assert matches, f"nothing found for {text!r}"
    assert matches[0].entry == entry_about(catalog, expected)
    assert matches[0].score >= THRESHOLD
    assert len(matches) <= 3
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


ENGLISH_QUESTIONS = [
    ("how do i change my clinic", "Bagaimana cara pindah faskes"),
    ("how to add my wife", "Bagaimana cara menambah anggota"),
    ("register newborn baby", "Bagaimana cara mendaftarkan bayi"),
    ("my card is lost", "Kartu JKN saya hilang"),
    ("how can i pay", "Di mana saja saya dapat membayar"),
    ("can i pay in installments", "Bisakah tunggakan iuran dicicil"),
    ("what is the penalty", "Apa itu denda pelayanan"),
    ("i lost my job", "Saya terkena PHK"),
    ("how do i get a referral", "Bagaimana cara mendapatkan rujukan"),
    ("emergency!", "Apa yang harus dilakukan dalam keadaan gawat"),
    ("book a queue", "Bagaimana cara mengambil antrean"),
    ("hospital refused me", "Ke mana saya dapat menyampaikan pengaduan"),
    ("when are you open", "Kapan jam layanan"),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH_QUESTIONS)
def test_english_questions_find_the_right_entry_first(catalog, text, expected):
    entry = first_answer(catalog, text, "en")

    assert entry == entry_about(catalog, expected)
    # the bot answers in the citizen's language from the entry it got
    assert entry.answer.get("en") != entry.answer.get("id")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("halo selamat pagi", "id"),
        ("asdfgh", "id"),
        ("terima kasih", "id"),
        ("ok", "id"),
        ("p", "id"),
        ("berapa harga tiket kereta ke surabaya", "id"),
        ("resep nasi goreng", "id"),
        ("cuaca hari ini", "id"),
        ("siapa presiden indonesia", "id"),
        ("saya mau beli pulsa", "id"),
        ("bayar listrik dimana", "id"),
        ("hp saya rusak", "id"),
        ("saya lapar", "id"),
        ("good morning", "en"),
        ("whats the weather today", "en"),
        ("who won the football match", "en"),
        ("", "id"),
        ("🙏🙏🙏", "id"),
    ],
)
def test_unrelated_text_finds_nothing(catalog, text, language):
    assert best_answers(catalog, text, language) == []


def test_a_clear_question_gets_one_answer_a_vague_one_several(catalog):
    assert len(best_answers(catalog, "sy mau pindah faskes", "id")) == 1
    vague = best_answers(catalog, "kartu", "id")
    assert 1 < len(vague) <= 3
    assert len(best_answers(catalog, "kartu", "id", limit=2)) == 2


def test_the_threshold_decides_what_counts(catalog):
    question = "sy lg mudik, bisa berobat di puskesmas sini?"
    (match,) = best_answers(catalog, question, "id")
    # below the threshold in Indonesian, the English questions are tried too
    best = max(
        m.score for language in ("id", "en") for m in best_answers(catalog, question, language)
    )

    assert 0 < match.score < 100
    assert best_answers(catalog, question, "id", threshold=match.score) == [match]
    assert best_answers(catalog, question, "id", threshold=best + 0.1) == []


def faq_catalog(catalog, *entries: FaqEntry):
    return catalog.model_copy(update={"faq": list(entries)})


def faq_entry(question_id: str, question_en: str, keywords: list[str]) -> FaqEntry:
    return FaqEntry(
        question=Localized(id=question_id, en=question_en),
        answer=Localized(id=f"Jawaban: {question_id}", en=f"Answer: {question_en}"),
        keywords=keywords,
    )


def test_the_other_language_is_tried_when_the_citizens_finds_nothing(catalog):
    translated = faq_entry("Apa itu tiket antrean?", "What is a waiting number?", ["tiket"])
    other = faq_catalog(catalog, translated)

    # "waiting number" is only in the English question; an Indonesian speaker typing it
    # still gets the entry
    assert first_answer(other, "waiting number", "id") == translated
    assert first_answer(other, "tiket antrean", "en") == translated
    assert best_answers(other, "nasi goreng", "en") == []


def test_the_citizens_language_comes_first(catalog):
    # the same words are the Indonesian question of one entry and the English of another
    indonesian = faq_entry("Apa itu faskes?", "What is a clinic?", ["fasilitas"])
    english = faq_entry("Apa itu klinik?", "What is a faskes?", ["klinik"])
    both = faq_catalog(catalog, indonesian, english)

    assert first_answer(both, "apa itu faskes", "id") == indonesian
    assert first_answer(both, "what is a faskes", "en") == english


def test_a_new_catalogue_revision_is_matched_with_its_own_faq(catalog):
    before = first_answer(catalog, "kis digital")
    replaced = faq_entry("Apa itu KIS Digital terbaru?", "What is the new KIS?", ["kis digital"])

    assert first_answer(faq_catalog(catalog, replaced), "kis digital") == replaced
    assert first_answer(catalog, "kis digital") == before
    assert best_answers(faq_catalog(catalog), "kis digital", "id") == []


def test_every_shipped_entry_is_found_by_its_own_question(catalog):
    for entry in catalog.faq:
        for language in ("id", "en"):
            found = first_answer(catalog, entry.question.get(language), language)
            assert found == entry, entry.question.get(language)


@given(st.text(max_size=600))
def test_any_text_gives_a_short_sorted_list(text):
    matches = best_answers(shipped(), text, "id")

    assert len(matches) <= 3
    assert all(THRESHOLD <= m.score <= 100 for m in matches)
