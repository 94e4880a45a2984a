"""Global keywords: what a citizen types at any point, and what must never be read as one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandawa.conversations.keywords import INTENTS, classify, normalise

# The keywords of issue 4 (and PRODUCT.md's citizen flow), each with the intent it must give.
DOCUMENTED = {
    "menu": ["menu", "mnu", "meny", "menu utama", "kembali", "main menu", "home", "start", "mulai"],
    "agent": [
        "petugas", "ptgs", "petugs", "agent", "agen", "cs", "customer service", "operator",
        "oprator", "admin", "bicara dengan petugas", "hubungi petugas", "talk to agent", "human",
    ],
    "status": ["status", "stat", "cek status", "status tiket", "check status"],
    "cancel": ["batal", "btl", "batalkan", "cancel", "cancle", "stop permohonan"],
    "yes": ["ya", "iya", "y", "yes", "yup", "ok", "oke", "setuju", "benar"],
    "no": ["tidak", "tdk", "gak", "nggak", "no", "bukan", "jangan"],
    "english": ["english", "inggris", "bahasa inggris", "en"],
    "indonesia": ["indonesia", "bahasa indonesia", "indo", "id"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "intent"),
    [(word, intent) for intent, words in DOCUMENTED.items() for word in words],
)
def test_every_documented_keyword(text, intent):
    assert classify(text) == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # case, punctuation, emoji, stretched letters
        ("MENU", "menu"),
        ("Menu!!!", "menu"),
        ("menuuu 🙏", "menu"),
        ("  Petugas?? ", "agent"),
        ("STATUS.", "status"),
        ("Batal!", "cancel"),
        ("YAAA", "yes"),
        ("iyaa", "yes"),
        ("okee 👍", "yes"),
        ("nggaaak", "no"),
        ("English.", "english"),
        ("🇮🇩 Indonesia", "indonesia"),
        ("Ménu", "menu"),
        # polite and filler words around the keyword
        ("tolong petugas", "agent"),
        ("mohon petugas dong", "agent"),
        ("petugas please", "agent"),
        ("CS dong kak", "agent"),
        ("saya mau bicara dgn petugas", "agent"),
        ("Tolong sambungkan ke petugas ya", "agent"),
        ("I want to talk to an agent", "agent"),
        ("can I speak to a real person", "agent"),
        ("menu ya", "menu"),
        ("ok menu", "menu"),
        ("kembali ke menu utama", "menu"),
        ("status saya", "status"),
        ("cek status tiket saya", "status"),
        ("statusnya", "status"),
        ("saya mau batalkan tiket saya", "cancel"),
        ("cancel my ticket please", "cancel"),
        ("ya, batalkan", "yes"),
        ("iya pak", "yes"),
        ("gak jadi", "no"),
        ("english please", "english"),
        ("bhs indonesia", "indonesia"),
        # typos: one edit (insert, delete, substitute, swap) on words of 4+ letters
        ("mneu", "menu"),
        ("menuu", "menu"),
        ("ptugas", "agent"),
        ("petgas", "agent"),
        ("petugaas", "agent"),
        ("stauts", "status"),
        ("statsu", "status"),
        ("btal", "cancel"),
        ("batl", "cancel"),
        ("cansel", "cancel"),
        ("cancell", "cancel"),
        ("tidka", "no"),
        ("englsh", "english"),
        ("ingris", "english"),
        ("indonesai", "indonesia"),
        ("bicara dengan ptugas", "agent"),
        ("menu utma", "menu"),
    ],
)
def test_variants_citizens_type(text, intent):
    assert classify(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        # sentences that contain a keyword are questions for the FAQ, not keywords
        "statusnya apa ya kok lama",
        "bagaimana cara cek status kepesertaan",
        "saya mau tanya tentang menu pindah faskes",
        "petugasnya kok belum membalas",
        "kenapa tiket saya dibatalkan",
        "ya saya sudah kirim foto ktp",
        "tidak bisa login mobile jkn",
        "what is the status of my claim at the hospital",
        # real words one edit away from a keyword: never corrected into it
        "data",
        "menunggu",
        "natal",
        "batas",
        "bata",
        "bantal",
        "cancer",
        "statis",
        "amin",
        "info",
        "into",
        "buka",
        "bulan",
        "besar",
        "stay",
        "hope",
        "mulia",
        "bahas",
        # only courtesy, greetings, numbers, emoji, nothing
        "tolong",
        "halo selamat pagi",
        "terima kasih",
        "ok terima kasih",
        "1",
        "2026",
        "👍",
        "🙏🙏",
        "...",
        "",
        "   ",
        "asdfgh",
        "orang",
    ],
)
def test_sentences_and_near_misses_are_not_keywords(text):
    assert classify(text) is None


@pytest.mark.parametrize("text", ["stuju", "setju", "benat", "yes cancle", "ya batl", "oek"])
def test_a_typo_never_reads_as_yes(text):
    # a wrong "yes" would confirm a cancellation the citizen did not ask for
    assert classify(text) != "yes"


COMMON_WORDS = """
ada apa atau baik baru bayar bayi berapa bisa cara daftar dana denda dokter faskes gratis harga
hari hilang iuran jam jadi kapan kartu kasih kelas keluarga kenapa kota lahir lama lagi mana
masuk minggu nama nomor obat pagi pindah rumah sakit sama sudah tahun tanggal terima tiket tunggu
umur waktu warga yang anak istri suami ayah bantu bantuan kode pesan rujukan klinik puskesmas
bidan lebaran libur tutup kantor cabang alamat aktif nonaktif tunggakan cicil tagihan premi
about account address also bank bill card change check claim come date doctor done down email
fine free good help here info just know late login lost mail make many money more name need next
none note once open over paid pay phone plan real rest same send sent some soon stop take tell
than that them then they this time today used very wait want what when where which while will
work year your hello thanks thank cool great nice amin aamiin alhamdulillah assalamualaikum
permisi maaf sip mantap oh hai halo
""".split()


def test_common_words_are_not_keywords():
    assert {word: classify(word) for word in COMMON_WORDS if classify(word)} == {}


def test_long_messages_are_never_keywords():
    assert classify("petugas " * 10) is None
    assert classify("menu" + " " * 1000) == "menu"
    assert classify("x" * 10_000) is None


def test_normalise():
    assert normalise("  MENUUU!!!  🙏 ") == "menu"
    assert normalise("Bicara, dengan   PETUGAS.") == "bicara dengan petugas"
    assert normalise("Tiket T-2026-0001") == "tiket t 2026 0001"
    # doubled letters are real words; only three or more fold
    assert normalise("Maaf, tunggakan KK") == "maaf tunggakan kk"
    assert normalise("Ménu") == "menu"


@given(st.text(max_size=300))
def test_normalise_is_idempotent_and_leaves_only_words(text):
    once = normalise(text)

    assert normalise(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert all(ch.isalnum() or ch == " " for ch in once)


@given(st.text(max_size=500))
def test_classify_never_raises_and_answers_an_intent_or_none(text):
    assert classify(text) in (*INTENTS, None)


WORDS = [w for words in DOCUMENTED.values() for w in words] + COMMON_WORDS + ["tolong", "dong"]


@given(st.lists(st.sampled_from(WORDS), max_size=8), st.sampled_from(["", "!", "?", " 🙏", "..."]))
def test_classify_depends_only_on_the_words(words, decoration):
    text = " ".join(words)

    assert classify(text.upper() + decoration) == classify(text)
    assert classify(text) in (*INTENTS, None)
