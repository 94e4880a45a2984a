"""Accounts and API tokens: create, authenticate, revoke. Add and flush; never commit."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, defaultload

from pandawa.accounts import passwords
from pandawa.accounts.models import ROLES, ApiToken, User
from pandawa.accounts.tokens import hash_token, new_token
from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db

log = logging.getLogger(__name__)

# a token's last use is recorded at most this often, so the API does not write on every call
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
# set in session.info when user_for_token wrote, so a read-only request knows to commit
LAST_USE_RECORDED = "pandawa.api_last_use_recorded"
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why and what to do."""


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise AccountError(
            f"Alamat email tidak valid: {email!r}. / Not a valid email address: {email!r}."
        )
    return value


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == (email or "").strip().lower()))


def create_account(
    session: Session,
    email: str,
    role: str,
    password: str | None = None,
    name: str = "",
) -> User:
    """A new account; without a password it cannot sign in to the web yet. Its queues are the
    ticket layer's business (`pandawa.admin.operations.create_user` sets both)."""
    address = normalise_email(email)
    if role not in ROLES:
        raise AccountError(
            f"Peran tidak dikenal: {role!r}; pilih {', '.join(ROLES)}. / "
            f"Unknown role {role!r}; expected one of {', '.join(ROLES)}."
        )
    if find_user(session, address) is not None:
        raise AccountError(f"Pengguna {address} sudah ada. / User {address} already exists.")
    user = User(email=address, name=name, role=role, created_at=now(), is_active=True)
    if password is not None:
        set_password(user, password)
    session.add(user)
    session.flush()
    log.info("user %s created with role %s", user.id, role)
    return user


def set_password(user: User, password: str) -> None:
    """A new password (from the user, an admin or the CLI) ends every session of the user."""
    problem = passwords.password_problem(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = passwords.hash_password(password)
    end_sessions(user)


def change_password(user: User, current: str, new: str) -> None:
    """The signed-in user's own change: the current password first."""
    if not user.password_hash or not passwords.verify_password(user.password_hash, current):
        raise AccountError("Kata sandi saat ini salah. / The current password is wrong.")
    set_password(user, new)


def end_sessions(user: User) -> None:
    """End every browser session of `user`: each carries the version it began with, and a
    session whose version differs is refused (pandawa.web.auth.load_user)."""
    user.session_version = (user.session_version or 0) + 1


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Upgrades an old hash in place
    (the caller's commit stores it)."""
    user = find_user(session, email)
    if user is None or not user.is_active or not user.password_hash:
        # hash anyway, so a wrong email takes as long as a wrong password
        passwords.verify_password(_dummy_hash(), password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.flush()
    return user


@cache
def _dummy_hash() -> str:
    return passwords.hash_password("pandawa-dummy-password")


def create_token(session: Session, user: User, name: str = "", days: int | None = None) -> str:
    """A new bearer token for `user`; the raw value is returned once, only its digest kept."""
    return issue_token(session, user, name=name, days=days)[1]


def issue_token(
    session: Session, user: User, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token row and its raw value; it expires after `days` (API_TOKEN_DAYS if None)."""
    if not user.is_active:
        raise AccountError(f"Pengguna {user.email} nonaktif. / User {user.email} is inactive.")
    days = current_settings().api_token_days if days is None else days
    if days < 1:
        raise AccountError("Masa berlaku minimal 1 hari. / A token lives at least 1 day.")
    raw = new_token()
    at = now()
    token = ApiToken(
        user_id=user.id,
        token_hash=hash_token(raw),
        name=name[:100],
        created_at=at,
        expires_at=at + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    log.info("api token %s created for user %s", token.id, user.id)
    return token, raw


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones included)."""
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id)
    return list(session.scalars(stmt.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, token: ApiToken) -> bool:
    """Revoke one token; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now()
    session.flush()
    return True


def revoke_tokens(session: Session, user: User, name: str | None = None) -> int:
    """Revoke the user's live tokens (those called `name`, or all); how many were revoked."""
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name is not None:
        stmt = stmt.where(ApiToken.name == name)
    tokens = list(session.scalars(stmt))
    at = now()
    for token in tokens:
        token.revoked_at = at
    session.flush()
    return len(tokens)


@cache
def _token_with_user() -> sa.Select:
    """Built once, on first use (every API request runs it); the holder's queue list is
    loaded only when used."""
    return (
        sa.select(ApiToken)
        .where(ApiToken.token_hash == sa.bindparam("token_hash"))
        .options(defaultload(ApiToken.user).lazyload(User.queues))
    )


@dataclass(frozen=True)
class TokenCheck:
    """What a presented token turned out to be: `user` when accepted; otherwise `token` (when
    it exists) and why it was refused. `touched` when its last use was recorded just now."""

    user: User | None
    token: ApiToken | None = None
    refused: str | None = None  # unknown, revoked, expired, inactive
    touched: bool = False


def check_token(raw: str | None) -> TokenCheck:
    """Look up a presented token. Records its last use at most once a minute and flags the
    session (LAST_USE_RECORDED) so the boundary knows a read-only request has something to
    commit."""
    if not raw or len(raw) > 200:
        return TokenCheck(None, refused="unknown")
    token = db.session.scalar(_token_with_user(), {"token_hash": hash_token(raw)})
    if token is None:
        return TokenCheck(None, refused="unknown")
    at = now()
    if token.revoked_at is not None:
        return TokenCheck(None, token, "revoked")
    # a token from before expiry existed (expires_at NULL) lives until revoked
    if token.expires_at is not None and at >= token.expires_at:
        return TokenCheck(None, token, "expired")
    if not token.user.is_active:
        return TokenCheck(None, token, "inactive")
    touched = token.last_used_at is None or at - token.last_used_at >= TOKEN_TOUCH_INTERVAL
    if touched:
        token.last_used_at = at
        # presence: an agent working through the API is online (tickets/estimates.py)
        token.user.last_seen_at = at
        db.session.flush()
        db.session.info[LAST_USE_RECORDED] = True
    return TokenCheck(token.user, token, touched=touched)


def user_for_token(raw: str | None) -> User | None:
    """The active user a live (unrevoked, unexpired) token belongs to, or None."""
    return check_token(raw).user


NAME_MAX = 200


def set_name(user: User, name: str) -> str:
    """Set the name the console, the dashboard and the ticket pages show for `user` (blank:
    the local part of the e-mail address); spaces collapsed. AccountError when unprintable."""
    cleaned = " ".join(name.split())
    if len(cleaned) > NAME_MAX:
        raise AccountError(
            f"Nama terlalu panjang (paling banyak {NAME_MAX} karakter). / "
            f"The name is too long (at most {NAME_MAX} characters)."
        )
    if any(not ch.isprintable() for ch in cleaned):
        raise AccountError("Nama memuat karakter kendali. / The name holds control characters.")
    user.name = cleaned
    return cleaned
