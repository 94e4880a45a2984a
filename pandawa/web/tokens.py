"""Bearer-token authentication for the API: `Authorization: Bearer <token>`."""

from __future__ import annotations

import logging

from flask import Response, g, request

from pandawa.accounts.models import User
from pandawa.accounts.operations import LAST_USE_RECORDED, user_for_token
from pandawa.core.extensions import db
from pandawa.web.errors import error_response

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# what clients may call without a token
PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.unknown"})


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate() -> Response | None:
    """before_request: put the token's user on `g.api_user`, or answer 401."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = user_for_token(bearer_token())
    if user is None:
        return error_response(
            401,
            "unauthorized",
            "Token tidak ada atau tidak valid. / Missing or invalid bearer token.",
            {"WWW-Authenticate": 'Bearer realm="pandawa"'},
        )
    g.api_user = user
    return None


def current_user() -> User:
    return g.api_user


def commit_token_touch(response: Response) -> Response:
    """after_request: a read-only request writes nothing but, once a minute, the token's last
    use; commit that here. State-changing views commit it with their own change."""
    touched = db.session.info.pop(LAST_USE_RECORDED, False)
    if touched and request.method in SAFE_METHODS and response.status_code < 500:
        try:
            db.session.commit()
        except Exception:  # a lost timestamp must not fail the read that carried it
            db.session.rollback()
            log.warning("could not record an API token's last use", exc_info=True)
    return response
