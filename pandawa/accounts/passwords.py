"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing is deliberately slow; refuse megabyte "passwords"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a user without a password never matches."""
    if not password_hash or not password or len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's; rehash on sign-in."""
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why `password` is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return (
            f"Kata sandi minimal {MIN_LENGTH} karakter. / "
            f"The password must have at least {MIN_LENGTH} characters."
        )
    if len(password) > MAX_LENGTH:
        return f"Kata sandi terlalu panjang. / The password is too long (max {MAX_LENGTH})."
    return None
