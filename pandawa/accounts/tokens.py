"""API bearer tokens: 256 random bits shown once; only the SHA-256 digest is stored.

A KDF is unnecessary for tokens of this entropy, and a plain digest lets the API find a token
with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "pdw_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
