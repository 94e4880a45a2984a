"""Bearer-token authentication for the API: `Authorization: Bearer <token>`."""

from __future__ import annotations

import logging

from flask import Response, g, request

from pandawa.accounts.models import User
from pandawa.accounts.operations import LAST_USE_RECORDED, check_token
from pandawa.audit.operations import record
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
    check = check_token(bearer_token())
    if check.user is None:
        if check.token is not None and check.refused in ("expired", "revoked"):
            # a real token presented after its end: worth a record (an unknown string is not;
            # it names nobody). Committed here: the 401 is this request's whole answer.
            record(
                db.session,
                "token_rejected",
                actor_id=check.token.user_id,
                address=request.remote_addr or "",
                details={"token_id": check.token.id, "reason": check.refused},
            )
            db.session.commit()
        return error_response(
            401,
            "unauthorized",
            "Token tidak ada atau tidak valid. / Missing or invalid bearer token.",
            {"WWW-Authenticate": 'Bearer realm="pandawa"'},
        )
    if check.touched:
        # "token used" is recorded when last_used_at is, at most once a minute per token, so
        # the audit grows with the time a token is in use, not with its request count; it is
        # committed with the touch (commit_token_touch or the view's own commit)
        record(
            db.session,
            "token_used",
            actor_id=check.user.id,
            address=request.remote_addr or "",
            details={"token_id": check.token.id},
        )
    g.api_user = check.user
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
