"""A thank-you after a resolution is only courtesy words; anything else is a new request."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pandawa.conversations.courtesy import COURTESY_WORDS, is_courtesy

WORDS = sorted(COURTESY_WORDS)


def _cased(word: str, upper: bool) -> str:
    return word.upper() if upper else word


@given(
    words=st.lists(st.tuples(st.sampled_from(WORDS), st.booleans()), max_size=6),
    separator=st.sampled_from([" ", "  ", " \n", ", ", "! "]),
)
def test_any_mix_of_courtesy_words_is_courtesy(words, separator):
    body = separator.join(_cased(word, upper) for word, upper in words)
    assert is_courtesy(body)


@given(
    words=st.lists(st.sampled_from(WORDS), max_size=4),
    other=st.sampled_from(["belum", "masih", "error", "kartu", "gagal", "tolong", "kenapa"]),
    at=st.integers(min_value=0, max_value=4),
)
def test_one_word_of_substance_makes_it_a_request(words, other, at):
    words.insert(min(at, len(words)), other)
    assert not is_courtesy(" ".join(words))


def test_as_citizens_write_it():
    assert is_courtesy("Terima kasih ya kak 🙏")
    assert is_courtesy("Ok, makasih banyak min!")
    assert is_courtesy("")
    assert is_courtesy("👍")
    assert not is_courtesy("Terima kasih, tapi masih belum bisa masuk aplikasinya")
    assert not is_courtesy("5")
