"""The variables of canned responses (pandawa/tickets/canned/variables.py): what the editor
refuses, and what the reply box receives once a ticket's values are filled in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pandawa.tickets.canned.variables import VARIABLES, check, fill, used

VALUES = {
    "nama": "Siti Rahayu",
    "nomor_tiket": "PDW-261201-7KQ2MX",
    "kantor": "Kantor Cabang Jakarta Pusat",
    "jam_buka": "Senin–Jumat pukul 08.00–15.00 WIB",
}


def test_known_variables_pass_and_are_filled():
    text = "Bapak/Ibu {nama}, tiket {nomor_tiket} di {kantor}; buka {jam_buka}."
    assert check(text) == []
    assert used(text) == ["nama", "nomor_tiket", "kantor", "jam_buka"]
    assert fill(text, VALUES) == (
        "Bapak/Ibu Siti Rahayu, tiket PDW-261201-7KQ2MX di Kantor Cabang Jakarta Pusat; "
        "buka Senin–Jumat pukul 08.00–15.00 WIB."
    )


def test_an_unknown_variable_is_named_in_indonesian_then_english():
    [error] = check("Halo {nma}, tiket {nomor_tiket}. Sekali lagi {nma}.")
    assert error.message.startswith("Variabel {nma} tidak dikenal")
    indonesian, english = error.message.split(" / ")
    assert "{nama}, {nomor_tiket}, {kantor}, {jam_buka}" in indonesian
    assert english.startswith("Unknown variable {nma}")


def test_the_old_ticket_variable_is_unknown_now():
    # canned.yaml said {tiket}; the migration rewrote the shipped texts to {nomor_tiket}
    assert [e.message.split(";")[0] for e in check("tiket {tiket}")] == [
        "Variabel {tiket} tidak dikenal"
    ]


def test_broken_braces_say_where():
    for text, position in (("Halo {nama", 6), ("Halo nama}", 10), ("{{nama}}", 1), ("a { b", 3)):
        [error] = check(text)
        assert f"karakter ke-{position}" in error.message, text
        assert error.message.index("Kurung kurawal") < error.message.index("Unmatched brace")


def test_empty_braces_and_case_are_unknown_variables():
    assert check("{}")[0].message.startswith("Variabel {} tidak dikenal")
    assert check("{Nama}")[0].message.startswith("Variabel {Nama} tidak dikenal")


def test_a_value_holding_braces_is_not_read_again():
    assert fill("Halo {nama}", {**VALUES, "nama": "{kantor}"}) == "Halo {kantor}"


def test_an_empty_name_leaves_no_gap():
    assert fill("Terima kasih, Bapak/Ibu {nama}.", {**VALUES, "nama": ""}) == (
        "Terima kasih, Bapak/Ibu."
    )


plain = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30)
texts = st.lists(
    st.one_of(plain, st.sampled_from([f"{{{name}}}" for name in VARIABLES])), max_size=8
).map("".join)


@given(texts)
def test_texts_of_known_variables_always_pass_and_fill_completely(text):
    assert check(text) == []
    filled = fill(text, VALUES)
    assert "{" not in filled and "}" not in filled


@given(st.text(max_size=40))
def test_whatever_passes_the_check_fills_without_a_brace_left(text):
    if not check(text):
        assert "{" not in fill(text, VALUES) and "}" not in fill(text, VALUES)
    else:
        assert "{" in text or "}" in text


@given(plain)
def test_text_without_braces_is_left_alone(text):
    assert check(text) == [] and fill(text, VALUES) == text
