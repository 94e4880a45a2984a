"""Global keywords a citizen may type at any point: `menu`, `petugas`, `status`, `batal`, ….

`classify` answers only when the whole message *is* a keyword, in Bahasa Indonesia or English,
perhaps wrapped in polite or filler words ("tolong petugas dong", "I want to talk to an
agent"). A sentence that merely contains a keyword ("statusnya apa ya kok lama") is a question,
and the bot gives it to the FAQ instead.

Matching, in order (see `classify`):
1. the normalised message with filler words dropped, looked up in the phrase table;
2. the same without a leading or trailing "ya"/"ok" ("menu ya", "ok petugas");
3. typo tolerance: each word of 4+ letters within one edit (insert, delete, substitute or swap
   two neighbours) of one typo-tolerant keyword word is read as that word, then 1–2 again.
   Words listed in `_NEVER_CORRECTED` are real words one edit from a keyword ("natal" is not
   "batal", "cancer" is not "cancel", "amin" is not "admin"); "yes" is never reached by typo
   tolerance, because a false "yes" would confirm a cancellation the citizen did not want.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

INTENTS = ("menu", "agent", "status", "cancel", "yes", "no", "english", "indonesia")

# a message longer than this is a sentence, not a keyword; it also bounds the work per message
_MAX_CHARS = 80
_MAX_WORDS = 6
# raw text (emoji and punctuation included) beyond this is not even normalised
_MAX_RAW_CHARS = 320

_AGENT_NOUNS = (
    "petugas", "ptgs", "petugs", "agent", "agen", "cs", "customer service", "operator",
    "oprator", "admin", "human", "officer", "live agent",
)  # fmt: skip
# only after a verb: "bicara dengan orang" asks for a person, "orang" alone does not
_PERSON_NOUNS = ("orang", "manusia", "person", "real person")
# "bicara dengan petugas", "talk to an agent": verb + filler words + a noun
_AGENT_VERBS = (
    "bicara", "berbicara", "ngobrol", "chat", "hubungi", "hubungkan", "sambungkan", "talk",
    "speak", "connect", "contact",
)  # fmt: skip

_PHRASES: dict[str, tuple[str, ...]] = {
    "menu": (
        "menu", "mnu", "meny", "menu utama", "main menu", "kembali", "kembali ke menu",
        "kembali ke menu utama", "balik", "balik ke menu", "back", "back to menu", "home",
        "start", "mulai", "mulai lagi", "lihat menu", "show menu", "menu awal",
    ),
    "agent": (
        *_AGENT_NOUNS,
        *(f"{verb} {noun}" for verb in _AGENT_VERBS for noun in _AGENT_NOUNS + _PERSON_NOUNS),
    ),
    "status": (
        "status", "stat", "cek status", "check status", "status tiket", "cek status tiket",
        "check ticket status", "ticket status", "cek tiket", "check ticket",
        "status permohonan", "cek status permohonan", "lihat status", "status pengajuan",
    ),
    "cancel": (
        "batal", "btl", "batalkan", "cancel", "cancle", "cansel", "stop permohonan",
        "batalkan tiket", "batal tiket", "batalkan permohonan", "cancel ticket",
        "cancel request", "batalkan pengajuan",
    ),
    "yes": (
        "ya", "iya", "y", "yes", "yup", "yep", "yeah", "ok", "oke", "okay", "okey", "setuju",
        "benar", "betul", "bener", "siap", "sure", "ya benar", "ya betul", "iya benar",
        "ya setuju", "ya batalkan", "ya batal", "iya batalkan", "yes cancel", "yes cancel it",
        "ok batalkan", "oke batalkan", "ok batal", "oke batal", "ok cancel",
        "yes please",
    ),
    "no": (
        "tidak", "tdk", "gak", "ga", "nggak", "ngga", "enggak", "engga", "gk", "no", "nope",
        "bukan", "jangan", "tidak jadi", "gak jadi", "nggak jadi", "ga jadi", "jangan batal",
        "jangan dibatalkan", "no thanks", "tidak usah", "gak usah",
    ),
    "english": (
        "english", "inggris", "bahasa inggris", "en", "eng", "in english", "english language",
        "bahasa english",
    ),
    "indonesia": (
        "indonesia", "bahasa indonesia", "indo", "id", "indonesian", "bahasa", "bahasa indo",
        "in indonesian", "indonesian language",
    ),
}  # fmt: skip

# Courtesy and filler words dropped before the lookup; none of them carries an intent alone.
_FILLERS = frozenset(
    """
    tolong mohon please dong donk deh dulu aja saja sih nih kak kakak ka min mimin gan sis pak
    bu bapak ibu mas mbak bang sir halo hallo hai hi hello saya sy aku ku my me mau ingin pengen
    pingin minta bisa i want would like to the a an can could with dengan dgn sama ke
    pakai pake gunakan use
    """.split()
)
# Dropped only when something else remains: "ya" alone is yes, "menu ya" is menu.
_SOFT_FILLERS = frozenset({"ya", "iya", "ok", "oke", "okay", "baik"})
_ABBREVIATIONS = {
    "pls": "please",
    "plz": "please",
    "tlg": "tolong",
    "mhn": "mohon",
    "bhs": "bahasa",
}

# Typo tolerance applies to these words only: long enough that one edit rarely lands on another
# real word. Left out on purpose: "admin" (amin), "start" (stars, smart), "human" (humas),
# "officer" (office), "person" (persen), "stat" (stay, that), "indo" (info, into), "home"
# (hope, come), "bukan" (bulan, buka), "benar" (besar), and every yes-word.
_TYPO_TOLERANT = (
    "menu", "kembali", "mulai", "utama", "petugas", "operator", "agent", "customer", "service",
    "bicara", "berbicara", "hubungi", "status", "tiket", "permohonan", "batal", "batalkan",
    "cancel", "tidak", "jangan", "english", "inggris", "indonesia", "bahasa",
)  # fmt: skip
# Real words one edit away from a typo-tolerant word: never corrected.
_NEVER_CORRECTED = frozenset(
    """
    natal batas bata batak bantal cancer statis mulia tidal bahas utara
    """.split()
)
_MIN_TYPO_LETTERS = 4

_NON_WORD = re.compile(r"[\W_]+")
_TRIPLED = re.compile(r"([^\W\d_])\1{2,}")
_DOUBLED = re.compile(r"([^\W\d_])\1+")


def _fold_case_and_accents(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in folded if not unicodedata.category(ch).startswith("M"))
    return unicodedata.normalize("NFKC", bare)


def fold(text: str) -> str:
    """Case and accents folded until nothing changes: a compatibility form can fold to a
    capital ("ℌ" → "H", "𝐀" → "A"), which a second pass lowers."""
    folded = _fold_case_and_accents(text)
    for _ in range(3):
        again = _fold_case_and_accents(folded)
        if again == folded:
            break
        folded = again
    return folded


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation or emoji, single spaces, tripled letters folded.

    "  MENUUU!!! 🙏" → "menu"; digits are kept ("1", "2026"). Only runs of three or more equal
    letters fold to one: doubled letters are real in both languages (maaf, tunggakan, KK,
    agreed), and `classify` compares words with every run folded anyway. Idempotent.
    """
    spaced = _NON_WORD.sub(" ", fold(text))
    return " ".join(_TRIPLED.sub(r"\1", spaced).split())


def _squeeze(word: str) -> str:
    """Every run of a letter folded: "nggak" → "ngak", "okee" → "oke", "yaa" → "ya"."""
    return _DOUBLED.sub(r"\1", word)


# the word lists as `_words` yields them
_FILLERS_SQUEEZED = frozenset(_squeeze(w) for w in _FILLERS)
_SOFT_SQUEEZED = frozenset(_squeeze(w) for w in _SOFT_FILLERS)
_NEVER_SQUEEZED = frozenset(_squeeze(w) for w in _NEVER_CORRECTED)
_TYPO_SQUEEZED = tuple(dict.fromkeys(_squeeze(w) for w in _TYPO_TOLERANT))


def _words(text: str) -> list[str]:
    """The message's words, each folded by `_squeeze`, abbreviations written out."""
    words: list[str] = []
    for word in normalise(text).split():
        squeezed = _squeeze(word)
        words.extend(_squeeze(w) for w in _ABBREVIATIONS.get(squeezed, squeezed).split())
    return words


def _strip_fillers(words: Iterable[str]) -> list[str]:
    return [w for w in words if w not in _FILLERS_SQUEEZED]


def _key(words: Iterable[str]) -> str:
    return " ".join(words)


@functools.cache
def _table() -> dict[str, str]:
    """Squeezed, filler-free phrase → intent. A phrase in two intents is a programming error."""
    table: dict[str, str] = {}
    for intent, phrases in _PHRASES.items():
        for phrase in phrases:
            key = _key(_strip_fillers(_words(phrase)))
            if table.setdefault(key, intent) != intent:
                raise ValueError(f"keyword {phrase!r} means both {table[key]} and {intent}")
    return table


@functools.cache
def _vocabulary() -> frozenset[str]:
    return frozenset(word for phrase in _table() for word in phrase.split())


def _lookup(words: list[str]) -> str | None:
    table = _table()
    found = table.get(_key(words))
    if found is None and len(words) > 1:
        # "menu ya", "ok petugas": a soft filler at either end
        trimmed = list(words)
        while len(trimmed) > 1 and trimmed[0] in _SOFT_SQUEEZED:
            trimmed.pop(0)
        while len(trimmed) > 1 and trimmed[-1] in _SOFT_SQUEEZED:
            trimmed.pop()
        found = table.get(_key(trimmed))
    return found


def _correct(word: str) -> str:
    """The one typo-tolerant keyword word within one edit of `word`, else `word` itself."""
    if len(word) < _MIN_TYPO_LETTERS or word in _vocabulary() or word in _NEVER_SQUEEZED:
        return word
    if word.endswith("nya") and word[:-3] in _vocabulary():
        return word[:-3]  # "statusnya", "petugasnya"
    close = process.extract(word, _TYPO_SQUEEZED, scorer=OSA.distance, score_cutoff=1, limit=2)
    if len(close) == 1 or (len(close) == 2 and close[0][1] < close[1][1]):
        return close[0][0]
    return word


def classify(text: str) -> str | None:
    """The intent (one of INTENTS) when the whole message is a keyword, else None."""
    text = text.strip()
    if not text or len(text) > _MAX_RAW_CHARS:
        return None
    words = _strip_fillers(_words(text))
    if not words or len(words) > _MAX_WORDS or sum(map(len, words)) > _MAX_CHARS:
        return None
    found = _lookup(words)
    if found is None:
        corrected = _strip_fillers(_correct(w) for w in words)
        if corrected != words:
            found = _lookup(corrected)
            if found == "yes":
                return None  # never confirm anything on a guess
    return found
