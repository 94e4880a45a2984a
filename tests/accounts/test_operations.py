"""Passwords and tokens below the CLI and the API."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher

from pandawa.accounts import operations as accounts
from pandawa.accounts.models import ApiToken
from pandawa.accounts.passwords import hash_password, needs_rehash, verify_password


def test_password_hash_round_trip():
    hashed = hash_password("kata-sandi-rahasia")
    assert hashed.startswith("$argon2id$")
    assert "kata-sandi-rahasia" not in hashed
    assert verify_password(hashed, "kata-sandi-rahasia")
    assert not verify_password(hashed, "kata-sandi-salah")
    assert not verify_password(None, "kata-sandi-rahasia")
    assert not verify_password("not-a-hash", "kata-sandi-rahasia")
    assert not needs_rehash(hashed)


def test_sign_in_upgrades_a_weak_hash(session, make_user):
    user = make_user("lama@example.go.id")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("kata-sandi-lama")
    user.password_hash = weak
    session.flush()

    assert accounts.authenticate(session, "LAMA@example.go.id", "kata-sandi-lama") == user
    assert user.password_hash != weak
    assert not needs_rehash(user.password_hash)


def test_inactive_user_cannot_sign_in(session):
    user = accounts.create_account(
        session, "nonaktif@example.go.id", "agent", password="kata-sandi-rahasia"
    )
    user.is_active = False
    assert accounts.authenticate(session, "nonaktif@example.go.id", "kata-sandi-rahasia") is None


def test_token_lookup_records_use_at_most_once_a_minute(session, clock, make_user):
    user = make_user()
    raw = accounts.create_token(session, user, name="cli")
    token = session.scalars(sa.select(ApiToken)).one()
    assert token.token_hash != raw and raw not in token.token_hash

    assert accounts.user_for_token(raw) == user
    assert token.last_used_at == clock.now()
    clock.advance(seconds=59)
    assert accounts.user_for_token(raw) == user
    assert token.last_used_at == clock.now() - timedelta(seconds=59)

    assert accounts.user_for_token(raw + "x") is None
    assert accounts.user_for_token("") is None
    assert accounts.revoke_tokens(session, user) == 1
    assert accounts.user_for_token(raw) is None
