"""WhatsApp formatting on the pages (pandawa/web/whatsapp.py): escaped first, then only <strong>,
<em>, <s> and <code>, by WhatsApp's rules; whatever else a citizen types stays text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pandawa.web.whatsapp import MARKERS, whatsapp

ALLOWED = {"strong", "em", "s", "code"}


class _Reader(HTMLParser):
    """The tags (with their attributes) and the text a browser would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.ends: list[str] = []
        self.text: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        self.ends.append(tag)

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.other.append("comment")

    def handle_decl(self, decl):
        self.other.append("decl")

    def handle_pi(self, data):
        self.other.append("pi")

    def unknown_decl(self, data):
        self.other.append("unknown")


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("*tebal*", "<strong>tebal</strong>"),
        ("_miring_", "<em>miring</em>"),
        ("~coret~", "<s>coret</s>"),
        ("```mono```", "<code>mono</code>"),
        ("Mohon *segera* dikirim.", "Mohon <strong>segera</strong> dikirim."),
        ("*_tebal miring_*", "<strong><em>tebal miring</em></strong>"),
        ("(*penting*)", "(<strong>penting</strong>)"),
        # markers inside words, or with a space inside, are not markers
        ("2*3*4", "2*3*4"),
        ("nama_file_baru.pdf", "nama_file_baru.pdf"),
        ("* bukan tebal *", "* bukan tebal *"),
        ("*tidak\nmelintasi baris*", "*tidak\nmelintasi baris*"),
        # monospace may span lines, and nothing is formatted inside it
        ("```baris 1\n*baris* 2```", "<code>baris 1\n*baris* 2</code>"),
        ("*belum ditutup", "*belum ditutup"),
        # runs of markers are not markers: masked numbers stay as the masker wrote them
        (
            "NIK 3174.****.****.0001 / 3174********0001",
            "NIK 3174.****.****.0001 / 3174********0001",
        ),
        ("+62 812-****-7890", "+62 812-****-7890"),
        ("**bukan tebal**", "**bukan tebal**"),
    ],
)
def test_whatsapp_markups(typed, shown):
    assert str(whatsapp(typed)) == shown


def test_script_in_bold_stays_text():
    html = str(whatsapp("*<script>alert(1)</script>*"))
    assert html == "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>"
    assert [tag for tag, _ in read(html).tags] == ["strong"]


def test_html_and_attributes_are_escaped():
    html = str(whatsapp('_<img src=x onerror="alert(1)">_ & `x`'))
    assert "<img" not in html and "&lt;img" in html and "&amp;" in html and "&#34;" in html
    assert read(html).tags == [("em", [])]


def test_none_is_empty():
    assert str(whatsapp(None)) == ""


# -- properties on any unicode --------------------------------------------------------------
# text made mostly of the characters that matter here, with any unicode mixed in
_INTERESTING = st.sampled_from([*"*_~`<>&\"' \n\tab1", "```", "<script>", "&amp;"])
texts = st.one_of(
    st.text(),
    st.lists(st.one_of(_INTERESTING, st.text(max_size=3)), max_size=40).map("".join),
)


@given(texts)
@example("*<script>*")
@example("```*_~```")
@example("*_~*_~x~_*~_*")
def test_only_whitelisted_tags_without_attributes(text):
    reader = read(str(whatsapp(text)))
    assert all(tag in ALLOWED and attrs == [] for tag, attrs in reader.tags)
    assert sorted(tag for tag, _ in reader.tags) == sorted(reader.ends)
    assert reader.other == []


@given(texts)
@example("*a* _b_ ~c~ ```d```")
@example("a*b*c _d_e")
def test_text_shown_is_the_input_minus_the_markers_used(text):
    """What the browser shows is what was typed with exactly the markers that became tags
    taken out: two per bold/italic/strike, six per monospace; nothing else added or lost."""
    reader = read(str(whatsapp(text)))
    shown = "".join(reader.text)
    tags = [tag for tag, _ in reader.tags]
    removed = 2 * sum(tag != "code" for tag in tags) + 6 * tags.count("code")
    assert len(shown) == len(text) - removed
    # `shown` is `text` with only marker characters left out, in order
    rest = iter(text)
    for char in shown:
        for typed in rest:
            if typed == char:
                break
            assert typed in MARKERS, (typed, char)
        else:
            raise AssertionError(f"{char!r} shown but not typed")
    assert all(typed in MARKERS for typed in rest)


@given(st.text(alphabet=st.characters(exclude_characters=MARKERS)))
def test_text_without_markers_is_only_escaped(text):
    reader = read(str(whatsapp(text)))
    assert reader.tags == [] and "".join(reader.text) == text
