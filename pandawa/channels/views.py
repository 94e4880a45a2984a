"""Provider webhooks: inbound messages and delivery status callbacks.

The inbound webhook is the hot path: signature check, then one statement that writes the
message (idempotent on MessageSid) and its task outbox row, committing itself (ingest.py): one
round trip to the database. No SELECT, no ORM objects, no broker. The blueprint is exempt from
CSRF (create_app): the provider's signature is the proof of origin, not a session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from pandawa.channels import fields, twilio
from pandawa.channels.ingest import store_inbound_committed
from pandawa.channels.status import apply_status
from pandawa.core import live, metrics
from pandawa.core.config import Settings, current_settings
from pandawa.core.extensions import db

bp = Blueprint("channels", __name__)
log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
INBOUND_FIELDS = ("MessageSid", "From", "To")
STATUS_FIELDS = ("MessageSid", "MessageStatus")
# the database could not take the write: answer 503 so the provider delivers it again
DATABASE_DOWN = (DBAPIError, PoolTimeoutError)

_inbound_seconds = metrics.WEBHOOK_REQUEST_SECONDS.labels(webhook="twilio_whatsapp")
_status_seconds = metrics.WEBHOOK_REQUEST_SECONDS.labels(webhook="twilio_status")


def twilio_webhook(histogram: Any, required: tuple[str, ...]) -> Callable:
    """Timing, provider check, signature (403), required fields (400), fields that could never
    be stored (400), in that order."""

    def decorate(view: Callable[[Settings], Response]) -> Callable[[], Any]:
        @wraps(view)
        def wrapper() -> Any:
            started = time.perf_counter()
            try:
                settings: Settings = current_settings()
                if "twilio" not in settings.enabled_providers or not settings.twilio_auth_token:
                    return _error(404, "not_found", "Twilio is not the configured provider.")
                if not twilio.signature_valid(settings, request):
                    return _error(403, "bad_signature", "X-Twilio-Signature is missing or wrong.")
                for name in required:
                    if not request.form.get(name):
                        return _error(400, "missing_field", f"{name} is required.", field=name)
                # a field that can never be stored is refused once, not answered 503 for ever
                refused = fields.refused_field(request.form.items(multi=True))
                if refused is not None:
                    name, why = refused
                    return _error(400, "bad_field", f"{name} {why}.", field=name)
                return view(settings)
            finally:
                histogram.observe(time.perf_counter() - started)

        return wrapper

    return decorate


@bp.post("/webhooks/twilio/whatsapp")
@twilio_webhook(_inbound_seconds, INBOUND_FIELDS)
def twilio_inbound(settings: Settings) -> Response:
    message = twilio.inbound_from_form(request.form)
    try:
        # durable (with its conversations.process_inbound task) when this returns
        new_id = store_inbound_committed(db.engine, message)
    except DATABASE_DOWN as exc:
        # the class names only: the statement's parameters carry the citizen's number and text
        log.error(
            "inbound webhook: database unavailable (%s/%s); answered 503",
            type(exc).__name__,
            type(getattr(exc, "orig", None)).__name__,
        )
        return _error(503, "unavailable", "The message could not be stored; retry later.")
    if new_id is not None:
        metrics.MESSAGES_IN.inc()
    return _twiml()


@bp.post("/webhooks/twilio/status")
@twilio_webhook(_status_seconds, STATUS_FIELDS)
def twilio_status(settings: Settings) -> Response:
    form = request.form
    try:
        moved = apply_status(
            db.session,
            provider=twilio.PROVIDER,
            provider_message_id=form["MessageSid"],
            status=form["MessageStatus"],
            error_code=form.get("ErrorCode") or None,
            error_message=fields.clean_text(form.get("ErrorMessage") or "") or None,
        )
        if moved:  # the console's ticks move live
            live.status_after_commit(
                db.session, provider=twilio.PROVIDER, provider_message_id=form["MessageSid"]
            )
        db.session.commit()
    except DATABASE_DOWN as exc:
        db.session.rollback()
        log.error("status webhook: database unavailable (%s); answered 503", type(exc).__name__)
        return _error(503, "unavailable", "The status could not be stored; retry later.")
    return _twiml()


def _twiml() -> Response:
    return Response(EMPTY_TWIML, status=200, mimetype="application/xml")


def _error(status: int, code: str, message: str, **extra: str) -> Response:
    response = jsonify(error={"code": code, "message": message, **extra})
    response.status_code = status
    return response
