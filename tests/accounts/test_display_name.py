"""What pages call a user: the name when there is one, else the e-mail's local part — never
the whole address; and what `set_name` accepts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandawa.accounts.models import User, display_name
from pandawa.accounts.operations import AccountError, set_name


def test_the_name_when_set_else_the_local_part():
    assert display_name("Siti Rahayu", "siti.r@bpjs.go.id") == "Siti Rahayu"
    assert display_name("", "siti.r@bpjs.go.id") == "siti.r"
    assert display_name("   ", "siti.r@bpjs.go.id") == "siti.r"
    assert display_name(None, "siti.r@bpjs.go.id") == "siti.r"
    assert User(email="budi@example.go.id", name="").display_name == "budi"


@given(
    st.one_of(st.none(), st.text(max_size=30)),
    st.emails(),
)
def test_never_the_whole_address_and_never_blank(name, email):
    shown = display_name(name, email)
    assert shown.strip()
    assert "@" not in shown or (name or "").strip() == shown


def test_set_name_collapses_spaces_and_refuses_control_characters():
    user = User(email="a@example.go.id", name="")
    assert set_name(user, "  Siti   Rahayu ") == "Siti Rahayu" and user.name == "Siti Rahayu"
    assert set_name(user, "") == "" and user.display_name == "a"
    with pytest.raises(AccountError, match="kendali"):
        set_name(user, "Siti\x00")
    with pytest.raises(AccountError, match="terlalu panjang"):
        set_name(user, "x" * 201)
