"""Long bodies are split into WhatsApp-sized parts at natural boundaries."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.channels.split import MAX_BODY, split_body


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _assert_faithful(original: str, parts: list[str]) -> None:
    """Parts appear in order in the original, separated only by whitespace."""
    position = 0
    for part in parts:
        found = original.find(part, position)
        assert found >= 0, "a part is not a piece of the original"
        assert original[position:found].strip() == "", "text lost between parts"
        position = found + len(part)
    assert original[position:].strip() == ""


def test_a_short_body_is_one_part_unchanged():
    assert split_body("  Halo!  ") == ["  Halo!  "]


def test_a_4000_character_body_splits_at_paragraphs():
    paragraph = (
        "Iuran peserta mandiri dibayar paling lambat tanggal 10 setiap bulan. " * 15
    ).strip()
    body = "\n\n".join([paragraph] * 4)  # 4 × ~1,030 characters
    assert len(body) >= 4000

    parts = split_body(body)

    assert [len(p) <= MAX_BODY for p in parts] == [True] * len(parts)
    assert len(parts) == 4 and parts == [paragraph] * 4


def test_without_paragraphs_it_splits_at_sentences():
    sentence = "Silakan siapkan KTP dan Kartu Keluarga. "
    body = sentence * 100  # 4,000 characters, one line

    parts = split_body(body)

    assert len(parts) == 3
    assert all(len(p) <= MAX_BODY and p.endswith("Keluarga.") for p in parts)
    _assert_faithful(body, parts)


def test_without_sentences_it_splits_between_words():
    body = " ".join(["iuran"] * 700)  # 4,199 characters; 1,600 falls inside a word

    parts = split_body(body)

    assert all(len(p) <= MAX_BODY for p in parts)
    assert all(p.startswith("iuran") and p.endswith("iuran") for p in parts)
    _assert_faithful(body, parts)


def test_a_word_longer_than_a_message_is_cut():
    body = "https://example.go.id/" + "a" * 4000

    parts = split_body(body)

    assert [len(p) for p in parts] == [1600, 1600, len(body) - 3200]
    assert "".join(parts) == body


def test_emoji_count_as_two_units():
    body = "🙏" * 1000  # 2,000 UTF-16 units

    parts = split_body(body)

    assert [_units(p) for p in parts] == [1600, 400]
    assert "".join(parts) == body


words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Z", "Cc")), min_size=1, max_size=40
)
# some bodies have only spaces (no sentence or line to cut at), some have everything
separator_sets = st.sampled_from(
    [
        (" ",),
        (" ", "\t"),
        (" ", "\n"),
        (" ", " ", " ", "\n", "\n\n", ". ", "! ", "? ", "\t"),
    ]
)
bodies = separator_sets.flatmap(
    lambda seps: st.lists(st.tuples(words, st.sampled_from(seps)), min_size=150, max_size=600)
)


@settings(max_examples=150)
@given(bodies)
def test_split_property(pieces):
    body = "".join(word + sep for word, sep in pieces)
    parts = split_body(body)

    assert parts and all(part.strip() for part in parts), "no empty part"
    assert all(_units(part) <= MAX_BODY for part in parts)
    if _units(body) <= MAX_BODY:
        assert parts == [body]
        return
    _assert_faithful(body, parts)
    # words are at most 40 characters: every cut falls on whitespace, never inside a word
    position = 0
    for part in parts[:-1]:
        position = body.find(part, position) + len(part)
        assert re.match(r"\s", body[position])
