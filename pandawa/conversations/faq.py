"""Answers to free questions: fuzzy matching over the catalogue's FAQ.

A citizen writes as they talk ("sy mau pindah faskes gmn caranya?"), so each entry is matched
word by word rather than as one string:

- words are normalised (`keywords.normalise`), common chat abbreviations written out (gmn,
  sy, yg, …), greetings and question words dropped, and Indonesian and English affixes
  trimmed ("pendaftaran" → "daftar", "changing" → "chang");
- each remaining word is compared with the words of every entry's question (in the citizen's
  language) and keywords (both languages) with rapidfuzz's `fuzz.ratio`, so one typo still
  matches ("rujkan", "fakses"); rare words weigh more than common ones (inverse document
  frequency), and a word found nowhere weighs like an ordinary one;
- an entry scores 0–100: the weighted share of the citizen's words it holds, scaled down when
  none of its keywords is there in full (so an entry whose keyword "pindah faskes" is typed
  beats one that only mentions "faskes").

Below THRESHOLD nothing is returned and the bot offers a person instead. Only answers close to
the best one (RELATIVE) come back, so a clear question gets one answer, not three.
The prepared index is cached per Catalog object (one per catalogue revision).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from pandawa.catalog.schema import Catalog, FaqEntry
from pandawa.conversations.keywords import normalise

THRESHOLD = 45.0
# answers scoring below this share of the best one are left out
RELATIVE = 0.75
# a word of at least this many letters may match with typos (fuzz.ratio ≥ _FUZZY_CUTOFF)
_FUZZY_MIN_LETTERS = 4
_FUZZY_CUTOFF = 80.0
# a query word found nowhere weighs like a word in this many entries
_UNKNOWN_DF = 3
# a keyword whose words the citizen typed apart ("pindah faskes … rumah") fits this much
_APART = 0.75
_MAX_QUERY_CHARS = 500
_MAX_QUERY_WORDS = 20
_CACHE_SIZE = 8

_ABBREVIATIONS = {
    "gmn": "bagaimana", "gmna": "bagaimana", "bgmn": "bagaimana", "bgm": "bagaimana",
    "gimana": "bagaimana", "gmana": "bagaimana", "sy": "saya", "aq": "aku", "yg": "yang",
    "tdk": "tidak", "gak": "tidak", "ga": "tidak", "gk": "tidak", "nggak": "tidak",
    "blm": "belum", "sdh": "sudah", "udh": "sudah", "udah": "sudah", "krn": "karena",
    "dgn": "dengan", "utk": "untuk", "tgl": "tanggal", "ttg": "tentang", "bln": "bulan",
    "thn": "tahun", "brp": "berapa", "org": "orang", "kls": "kelas", "no": "nomor", "nmr": "nomor",
    "hp": "ponsel", "klo": "kalau", "kalo": "kalau", "gmail": "email", "hrs": "harus",
    "bs": "bisa", "dmn": "dimana", "knp": "kenapa", "trs": "terus", "jd": "jadi",
    "skrg": "sekarang", "lg": "lagi", "dr": "dari", "bkn": "bukan", "pd": "pada",
    "bpk": "bapak", "ortu": "orang tua", "rs": "rumah sakit", "rsud": "rumah sakit",
    "pkm": "puskesmas", "jg": "juga", "aja": "saja",
}  # fmt: skip

_STOPWORDS = frozenset(
    """
    saya aku kami kita anda gue gw bapak ibu pak bu kak kakak min admin mas mbak bang gan sis
    mau ingin pengen pingin mohon tolong minta tanya bertanya nanya info informasi
    bagaimana bagaimanakah cara caranya apa apakah apa itu ini itu yang di ke dari untuk buat
    dengan dan atau juga bisa bisakah dapat boleh harus sudah belum kalau jika bila kapan
    berapa mana dimana kenapa mengapa tidak ada adalah akan sedang lagi sih dong deh ya kok
    nih tuh aja saja pun lah nya terima kasih makasih thanks thank halo hallo hai hi hello
    selamat pagi siang sore malam assalamualaikum permisi maaf sekarang terus jadi pada
    bpjs kesehatan kena banget bgt gitu begitu soal soalnya tapi tetapi lewat melalui
    via karena lalu kayak seperti tentang mengenai sini situ tadi kemarin besok hari bulan
    tahun
    i me my we our you your the a an to of in on at for with and or is are am be do does
    did can could would should how what when where why which who please good morning
    afternoon evening it this that there have has want need get about if not yes no so
    """.split()
)

_PREFIXES = ("meng", "meny", "mem", "men", "me", "ber", "di", "ter")
# only together with a suffix (the pe-an and ke-an confixes): "pendaftaran" → "daftar", while
# "pensiun", "penalty", "keluar" and "kereta" keep their first letters
_CONFIX_PREFIXES = ("peng", "peny", "pem", "pen", "per", "pe", "ke")
# Indonesian suffixes (with the colloquial -in of "daftarin"), then English ones
_SUFFIXES = ("nya", "kan", "lah", "kah", "an", "in")
_ENGLISH_SUFFIXES = ("ing", "ed", "es", "s")
_MIN_STEM = 4
# numbers up to this many digits ("kelas 3", "5 bulan") say little; "165" or "88888" do
_MAX_MINOR_NUMBER = 2


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class _Document:
    """One FAQ entry as matched in one language."""

    entry: FaqEntry
    terms: frozenset[str]
    # each keyword (and the question) as its terms; an entry scores fully when one is present
    phrases: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Index:
    documents: tuple[_Document, ...]
    vocabulary: tuple[str, ...]
    idf: dict[str, float]
    unknown_weight: float


def stem(word: str) -> str:
    """A light Indonesian/English stem: one suffix, then one prefix, never below 4 letters.

    Both the questions and the citizen's words go through it, so a rough stem is enough;
    `fuzz.ratio` absorbs what it misses ("menambah" → "ambah" still matches "tambah").
    """
    suffixed = False
    for suffix in _SUFFIXES + _ENGLISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word, suffixed = word[: -len(suffix)], suffix in _SUFFIXES
            break
    for prefix in _PREFIXES + (_CONFIX_PREFIXES if suffixed else ()):
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
            return word[len(prefix) :]
    return word


def terms(text: str) -> list[str]:
    """The words of `text` that carry meaning, stemmed, in order, without repeats."""
    words: list[str] = []
    for word in normalise(text[:_MAX_QUERY_CHARS]).split():
        words.extend(_ABBREVIATIONS.get(word, word).split())
    kept = (
        stem(word)
        for word in words
        if word not in _STOPWORDS and not (word.isdigit() and len(word) <= _MAX_MINOR_NUMBER)
    )
    return list(dict.fromkeys(kept))[:_MAX_QUERY_WORDS]


def _build(entries: Iterable[FaqEntry], language: str) -> _Index:
    documents = []
    for entry in entries:
        phrases = [tuple(terms(keyword)) for keyword in entry.keywords]
        question = tuple(terms(entry.question.get(language)))
        phrases.append(question)
        all_terms = frozenset(t for phrase in phrases for t in phrase)
        documents.append(_Document(entry, all_terms, tuple(p for p in phrases if p)))
    count = max(len(documents), 1)
    frequency: dict[str, int] = {}
    for document in documents:
        for term in document.terms:
            frequency[term] = frequency.get(term, 0) + 1
    idf = {term: math.log(1 + count / df) for term, df in frequency.items()}
    return _Index(
        tuple(documents),
        tuple(sorted(frequency)),
        idf,
        math.log(1 + count / _UNKNOWN_DF),
    )


_lock = threading.Lock()
_indexes: OrderedDict[int, tuple[Catalog, dict[str, _Index]]] = OrderedDict()


def _indexes_for(catalog: Catalog) -> dict[str, _Index]:
    """The prepared FAQ per language; the Catalog is kept with it so its id is never reused."""
    with _lock:
        cached = _indexes.get(id(catalog))
        if cached is not None and cached[0] is catalog:
            _indexes.move_to_end(id(catalog))
            return cached[1]
    prepared = {language: _build(catalog.faq, language) for language in ("id", "en")}
    with _lock:
        _indexes[id(catalog)] = (catalog, prepared)
        while len(_indexes) > _CACHE_SIZE:
            _indexes.popitem(last=False)
    return prepared


def _close_terms(term: str, index: _Index) -> dict[str, float]:
    """The vocabulary terms a query term matches, with a similarity in (0, 1]."""
    if len(term) < _FUZZY_MIN_LETTERS:
        return {term: 1.0} if term in index.idf else {}
    close = process.extract(
        term, index.vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
    )
    # an exact match counts fully, the weakest accepted typo half
    return {
        choice: 0.5 + 0.5 * (score - _FUZZY_CUTOFF) / (100 - _FUZZY_CUTOFF)
        for choice, score, _ in close
    }


def _adjacent(phrase: tuple[str, ...], close: list[dict[str, float]]) -> bool:
    """Whether the query holds the phrase's terms next to each other, in order."""
    return any(
        all(term in close[start + k] for k, term in enumerate(phrase))
        for start in range(len(close) - len(phrase) + 1)
    )


def _fit(
    phrase: tuple[str, ...],
    close: list[dict[str, float]],
    present: dict[str, float],
    index: _Index,
) -> tuple[float, float]:
    """How completely a keyword is in the query (0–1) and the weight of its terms found."""
    found = sum(index.idf[t] * present.get(t, 0.0) for t in phrase)
    fit = found / sum(index.idf[t] for t in phrase)
    if len(phrase) > 1 and not _adjacent(phrase, close):
        fit *= _APART
    return fit, found


def _rank(query: list[str], index: _Index) -> list[FaqMatch]:
    close = [_close_terms(term, index) for term in query]
    weights = [max((index.idf[c] for c in found), default=index.unknown_weight) for found in close]
    total = sum(weights)
    # how well each vocabulary term is present in the query
    present: dict[str, float] = {}
    for found in close:
        for choice, similarity in found.items():
            present[choice] = max(present.get(choice, 0.0), similarity)
    ranked: list[tuple[FaqMatch, float]] = []
    for document in index.documents:
        held = sum(
            weight * max((s for c, s in found.items() if c in document.terms), default=0.0)
            for weight, found in zip(weights, close, strict=True)
        )
        if not held:
            continue
        fit, found = max(_fit(phrase, close, present, index) for phrase in document.phrases)
        score = round(100 * held / total * (0.5 + 0.5 * fit), 1)
        ranked.append((FaqMatch(document.entry, score), found))
    # equal scores: the entry with more of the citizen's words in one keyword first, then
    # catalogue order (the sort is stable)
    ranked.sort(key=lambda pair: (-pair[0].score, -pair[1]))
    return [match for match, _ in ranked]


def best_answers(
    catalog: Catalog, text: str, language: str, limit: int = 3, threshold: float = THRESHOLD
) -> list[FaqMatch]:
    """The FAQ entries that answer `text`, best first; [] when none scores `threshold`.

    Matched against the questions in `language` first, then in the other language.
    """
    query = terms(text)
    if not query or not catalog.faq:
        return []
    indexes = _indexes_for(catalog)
    first = "en" if language == "en" else "id"
    for lang in (first, "id" if first == "en" else "en"):
        ranked = [m for m in _rank(query, indexes[lang]) if m.score >= threshold]
        if ranked:
            floor = ranked[0].score * RELATIVE
            return [m for m in ranked if m.score >= floor][:limit]
    return []
