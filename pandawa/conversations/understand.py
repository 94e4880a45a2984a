"""What a citizen's message asks for, read the way people write on WhatsApp.

`understand` turns one message (or a burst read together) into an `Understanding`: a keyword
command, a greeting or thanks, a menu number, FAQ answers, or nothing the bot knows. It runs in
tiers, first hit wins:

1. a menu number ("3", " 4.");
2. the whole message is a keyword (`keywords.classify`, after `normalise` has written out
   abbreviations and regional words: "ora" → tidak, "nggih" → ya);
3. only courtesy words → thanks; only greetings, fillers and openers ("P", "🙏", "halo min",
   "mau tanya") → greeting;
4. a command inside a sentence: `_CUES` holds phrases that ask for a person, a ticket's
   status, a cancellation or the menu ("tiket saya sudah sampai mana?", "tolong batalkan
   permohonan saya"). Never yes/no: those stay whole-message keywords, a guessed "yes" would
   confirm what the citizen did not want;
5. the FAQ (`faq.best_answers`) over the normalised text;
6. unknown.

`greeted` tells whether the message opened with a greeting, so the bot greets back before it
answers ("pagi min, iuran kelas 2 brp?").

The word lists are Indonesian as written in chat, not the corpus: the corpus
(tests/conversations/corpus.yaml) measures them, with a held-out part never tuned on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pandawa.catalog.schema import Catalog
from pandawa.conversations import faq, keywords
from pandawa.conversations.courtesy import COURTESY_WORDS

KEYWORD_INTENTS = keywords.INTENTS
# commands a sentence may carry (tier 4)
SENTENCE_COMMANDS = ("agent", "status", "cancel", "menu")

_MAX_CHARS = 600

# emoji that carry a word; every other emoji, symbol and punctuation is dropped
_EMOJI_WORDS = {
    "👋": " halo ",
    "🙏": " 🙏 ",
    "👍": " sip ",
    "👌": " sip ",
    "❤": " sip ",
    "🥰": " sip ",
}
_POLITE_MARK = "🙏"

# chat abbreviations, typos and regional words → the word the rest of the code knows
_WORDS = {
    # how / what / why
    "gmn": "bagaimana", "gmna": "bagaimana", "gimana": "bagaimana", "gmana": "bagaimana",
    "bgmn": "bagaimana", "bgm": "bagaimana", "gmnya": "bagaimana", "gimna": "bagaimana",
    "piye": "bagaimana", "kepriye": "bagaimana", "kumaha": "bagaimana", "pripun": "bagaimana",
    "caranya": "cara", "knp": "kenapa", "napa": "kenapa", "opo": "apa", "naon": "apa",
    "apaan": "apa", "brp": "berapa", "berapaan": "berapa", "brapa": "berapa",
    "dmn": "dimana", "dimn": "dimana", "mana": "mana", "kpn": "kapan", "kapn": "kapan",
    # no / not / yes
    "tdk": "tidak", "tak": "tidak", "gak": "tidak", "ga": "tidak", "gk": "tidak",
    "nggak": "tidak", "ngga": "tidak", "enggak": "tidak", "engga": "tidak", "ndak": "tidak",
    "nda": "tidak", "ora": "tidak", "mboten": "tidak", "teu": "tidak", "g": "tidak",
    "blm": "belum", "belom": "belum", "dereng": "belum", "nggih": "ya", "inggih": "ya",
    "enggih": "ya", "yoi": "ya", "yup": "ya",
    # people
    "sy": "saya", "sya": "saya", "aq": "aku", "ak": "aku", "gw": "saya", "gue": "saya",
    "gua": "saya", "ane": "saya", "ku": "aku", "kk": "kak", "ka": "kak", "mimin": "min",
    "bpk": "bapak", "ibuk": "ibu", "ortu": "orang tua", "org": "orang",
    # often typed short
    "udh": "sudah", "udah": "sudah", "sdh": "sudah", "dah": "sudah", "sampun": "sudah",
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "sm": "sama", "utk": "untuk", "buat": "untuk",
    "krn": "karena", "karna": "karena", "tp": "tapi", "tpi": "tapi", "jg": "juga",
    "lg": "lagi", "dr": "dari", "dri": "dari", "skrg": "sekarang", "skr": "sekarang",
    "klo": "kalau", "kalo": "kalau", "kl": "kalau", "bs": "bisa", "bsa": "bisa", "tgl": "tanggal",
    "bln": "bulan", "thn": "tahun", "hrs": "harus", "trs": "terus", "jd": "jadi",
    "msh": "masih", "masi": "masih", "pake": "pakai", "dipake": "dipakai", "pk": "pakai",
    "mo": "mau", "mw": "mau", "pengen": "ingin", "pgn": "ingin", "nanya": "tanya",
    "statusnya": "status", "masukin": "tambahkan", "masukkan": "tambahkan",
    "nambahin": "tambah", "nyicil": "cicil", "dicicil": "cicil",
    "tny": "tanya", "tanyak": "tanya", "dpt": "dapat", "dapet": "dapat",
    "tlg": "tolong", "tolong": "tolong", "mhn": "mohon", "pls": "please", "plz": "please",
    "plis": "please", "trmksh": "terima kasih", "trimakasih": "terima kasih",
    "terimakasih": "terima kasih", "mksh": "makasih", "makasi": "makasih", "mks": "makasih",
"mksih": "makasih", "u": "you",
    "tq": "thanks", "ty": "thanks", "tks": "thanks", "thx": "thanks", "tengkyu": "thanks",
    "nuwun": "kasih", "nuhun": "kasih",
    # the service's nouns
    "fakses": "faskes", "faskses": "faskes", "fasks": "faskes", "bpjsnya": "bpjs",
    "bpjs": "bpjs", "kis": "kis", "rs": "rumah sakit", "rsud": "rumah sakit",
    "pkm": "puskesmas", "antri": "antrean", "antrian": "antrean", "antre": "antrean",
    "premi": "iuran", "premium": "iuran", "iurannya": "iuran", "kls": "kelas",
    "tiketnya": "tiket", "ticketnya": "tiket", "tix": "tiket", "menunya": "menu",
    "nmr": "nomor", "hp": "ponsel", "wa": "whatsapp", "hrd": "hrd",
    "komplen": "komplain", "komplin": "komplain",
}  # fmt: skip

# greetings, whatever the language or region (a message of these alone greets)
_GREETINGS = frozenset(
    """
    p halo hallo helo hai hay hy hi hello hey hei pagi siang sore malam selamat slmt met
    assalamualaikum assalamu alaikum assalamualaikom asalamualaikum askum ass wr wb
    warahmatullahi wabarakatuh salam permisi punten sampurasun horas om swastiastu tabe
    sugeng enjing siang sonten dalu good morning afternoon evening spada misi test tes
    """.split()
)
# what a greeting is wrapped in: addressing, fillers, "I want to ask"
_OPENERS = frozenset(
    """
    min admin kak kakak pak bu bapak ibu mas mbak bang gan sis bro mimin bpjs kesehatan
    saya aku mau ingin tanya bertanya boleh bisa numpang dong nih ya yah sih deh dulu
    please mohon ada orang ini sini sana kah nggak tidak 🙏 wr wb ok oke
    """.split()
)
_COURTESY = frozenset(COURTESY_WORDS) | frozenset(
    """
    terima kasih makasih thanks thank you a lot matur nuhun hatur sip mantap banyak
    infonya informasinya sekali ok oke siap noted baik min kak 🙏
    """.split()
)

# Commands inside a sentence (tier 4): regular expressions over the normalised text.
_PERSON = (
    r"(petugas|agen|agent|admin|cs|customer service|operator|orang|manusia|human|person|officer)"
)
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (intent, re.compile(pattern))
    for intent, pattern in (
        # a person (before status: "bicara dengan petugas soal tiket saya" wants a person)
        ("agent", rf"\b(bicara|berbicara|ngobrol|ngomong|chat|hubungi|hubungkan|sambungkan|"
                  rf"disambungkan|dihubungkan|talk|speak|connect)\b.*\b{_PERSON}\b"),
        ("agent", r"\b(real|live) (person|agent|human)\b"),
        ("agent", r"\b(mau|minta|ingin) (ke|sama|dengan) (petugas|admin|cs|operator)\b"),
        # cancel (before status: "batalkan tiket saya")
        ("cancel", r"\b(batal|batalkan|batalin|dibatalkan|dibatalin|membatalkan|cancel)\b"),
        # status of my ticket / request
        ("status", r"^(?!.*\b(kepesertaan|peserta|bpjs|kartu|jkn|pbi|aktif|membership|card)\b)"
                   r".*\bstatus\b"),
        ("status", r"\b(tiket|ticket|permohonan|pengajuan|request)\b.*\b(sampai mana|"
                   r"sudah diproses|diproses|gimana|bagaimana|kabar|progress|update|belum)\b"),
        ("status", r"\b(sampai mana|sudah sampai)\b.*\b(tiket|permohonan|pengajuan|saya)\b"),
        ("status", r"\bbelum (dibalas|direspon|dijawab|ditanggapi)\b"),
        ("status", r"\b(my|the) (ticket|request)\b"),
        ("status", r"\b(tiket|permohonan|pengajuan) (saya|aku|ku)\b"),
        # the menu
        ("menu", r"\b(tampilkan|lihat|minta|show)\b.*\bmenu\b"),
        ("menu", r"\bmenu\b.*\b(utama|awal)\b"),
        ("menu", r"\b(pilihan|daftar) layanan\b"),
        ("menu", r"\blayanan (apa saja|apa aja|apa)\b.*\b(ada|tersedia)\b"),
        ("menu", r"^(pilihan layanan|layanan) ?(nya)? (apa saja|apa)\b"),
    )
)  # fmt: skip

_NON_WORD = re.compile(r"[^\w\s🙏]+")
_REPEATED = re.compile(r"([^\W\d_])\1{2,}")
_REDUPLICATED = re.compile(r"\b(\w+)2\b")  # "masuk2" → "masuk"
_CHOICE = re.compile(r"\s*(?:no\.?|nomor|pilih|pilihan)?\s*(\d{1,2})\s*\.?\s*")


@dataclass(frozen=True)
class Understanding:
    """What a message asks for. `intent` is a keyword intent (keywords.INTENTS), "greeting",
    "thanks", "choice" (a menu number, in `choice`), "faq" (answers in `answers`, best first)
    or "unknown"."""

    intent: str
    greeted: bool = False
    choice: str | None = None
    answers: tuple[faq.FaqMatch, ...] = ()
    # the command was found inside a sentence (tier 4), not as the whole message
    from_sentence: bool = False

    @property
    def command(self) -> str | None:
        """The keyword intent, or None: what the bot's keyword handling acts on."""
        return self.intent if self.intent in KEYWORD_INTENTS else None


def normalise(text: str) -> str:
    """Lower case, emoji that mean something as words, punctuation gone, letters typed three or
    more times folded ("halooo" → "halo"), chat abbreviations and regional words written out
    ("gmn cara pindah fakses?" → "bagaimana cara pindah faskes"). Idempotent."""
    text = text[:_MAX_CHARS]
    for emoji, word in _EMOJI_WORDS.items():
        text = text.replace(emoji, word)
    text = keywords.fold(text).replace("'", "").replace("’", "")
    text = _REDUPLICATED.sub(r"\1", _NON_WORD.sub(" ", text))
    words: list[str] = []
    for word in _REPEATED.sub(r"\1", text).split():
        words.extend(_WORDS.get(word, word).split())
    return " ".join(words)


def _only(words: list[str], allowed: frozenset[str]) -> bool:
    """Every word is in `allowed`, doubled letters folded ("haloo", "makasihh")."""
    return bool(words) and all(w in allowed or keywords._squeeze(w) in allowed for w in words)


def _greeting_words(words: list[str]) -> int:
    """How many of the first words are a greeting (with what addresses it)."""
    count = 0
    for word in words:
        if _only([word], _GREETINGS) or (count and _only([word], _OPENERS)):
            count += 1
        else:
            break
    return count


def understand(
    catalog: Catalog, text: str, language: str = "id", *, answer: bool = True
) -> Understanding:
    """Read one message (or a burst joined by newlines) as the bot should act on it.

    `answer=False` skips the FAQ (tier 5) where the bot would not answer anyway: "faq" then
    never comes back, what would have been one reads as "unknown"."""
    raw = (text or "").strip()
    if not raw:
        return Understanding("unknown")
    choice = _CHOICE.fullmatch(raw)
    if choice and raw.strip(" .").isdigit():
        return Understanding("choice", choice=str(int(choice.group(1))))
    plain = normalise(raw)
    words = plain.split()
    if not words:
        # only emoji or punctuation: "🙏", "👋😊", "?"
        return Understanding("greeting", greeted=True)
    greeted = _greeting_words(words) > 0
    if greeted and _greeting_words(words) == len(words):
        # "hallo admin": a greeting that names whom it greets, not a request for a person
        return Understanding("greeting", greeted=True)
    command = keywords.classify(raw) or keywords.classify(plain.replace(_POLITE_MARK, " "))
    if command is not None:
        return Understanding(command, greeted=greeted)
    if _only(words, _COURTESY) and not _only(words, _GREETINGS | _OPENERS):
        return Understanding("thanks")
    if _only(words, _GREETINGS | _OPENERS):
        return Understanding("greeting", greeted=True)
    sentence = " ".join(w for w in words if w != _POLITE_MARK)
    for intent, pattern in _CUES:
        if pattern.search(sentence):
            return Understanding(intent, greeted=greeted, from_sentence=True)
    answers = tuple(faq.best_answers(catalog, sentence, language)) if answer else ()
    if answers:
        return Understanding("faq", greeted=greeted, answers=answers)
    if _only(words, _COURTESY | _GREETINGS | _OPENERS):
        return Understanding("thanks")
    return Understanding("unknown", greeted=greeted)
