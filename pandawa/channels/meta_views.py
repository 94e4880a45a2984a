"""GET, POST /webhooks/meta/whatsapp: the Cloud API's verification and its notifications.

GET answers Meta's subscription check (`hub.mode=subscribe`, our `hub.verify_token`) with the
`hub.challenge`, 403 otherwise. POST is checked first, on the raw body, against
`X-Hub-Signature-256` (403 when missing or wrong), then read; otherwise the Twilio webhook's
rules: malformed → 400 with a reason, each message persisted (idempotent on its `wamid`, with
its conversation task) before the 200, statuses moved forward only, 503 when the database
cannot take it so that Meta delivers the notification again. Routes on the channels
blueprint (exempt from CSRF: the signature is the proof of origin); create_app imports this.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Response, request

from pandawa.channels import fields, meta, meta_inbound
from pandawa.channels.ingest import store_inbound_committed
from pandawa.channels.status import apply_status
from pandawa.channels.views import DATABASE_DOWN, _error, bp
from pandawa.core import live, metrics
from pandawa.core.config import Settings, current_settings
from pandawa.core.extensions import db

log = logging.getLogger(__name__)

_seconds = metrics.WEBHOOK_REQUEST_SECONDS.labels(webhook="meta_whatsapp")


def _enabled() -> Settings | None:
    settings = current_settings()
    return settings if meta.PROVIDER in settings.enabled_providers else None


@bp.get(meta.WEBHOOK_PATH)
def meta_verify() -> Response:
    settings = _enabled()
    if settings is None:
        return _error(404, "not_found", "Meta is not a configured provider.")
    challenge = meta_inbound.verification_challenge(settings, request.args)
    if challenge is None:
        return _error(403, "bad_verify_token", "hub.mode or hub.verify_token is wrong.")
    return Response(challenge, status=200, mimetype="text/plain")


@bp.post(meta.WEBHOOK_PATH)
def meta_notification() -> Response:
    started = time.perf_counter()
    try:
        settings = _enabled()
        if settings is None:
            return _error(404, "not_found", "Meta is not a configured provider.")
        raw = request.get_data(cache=True)
        if not meta_inbound.signature_valid(
            settings, raw, request.headers.get(meta.SIGNATURE_HEADER)
        ):
            return _error(403, "bad_signature", "X-Hub-Signature-256 is missing or wrong.")
        try:
            notification = meta_inbound.parse_notification(json.loads(raw))
        except meta_inbound.MalformedPayload as exc:
            return _error(400, "malformed", str(exc))
        except ValueError:  # not JSON, or not UTF-8
            return _error(400, "malformed", "The body is not JSON.")
        for message in notification.messages:
            refused = fields.refused_field(
                [
                    ("MessageSid", message.provider_message_id),
                    ("From", message.sender),
                    ("To", message.recipient),
                ]
            )
            if refused is not None:
                name, why = refused
                return _error(400, "bad_field", f"{name} {why}.", field=name)
        return _store(notification)
    finally:
        _seconds.observe(time.perf_counter() - started)


def _store(notification: meta_inbound.Notification) -> Response:
    try:
        for message in notification.messages:  # in Meta's timestamp order
            if store_inbound_committed(db.engine, message) is not None:
                metrics.MESSAGES_IN.inc()
        for report in notification.statuses:
            moved = apply_status(
                db.session,
                provider=meta.PROVIDER,
                provider_message_id=report.provider_message_id,
                status=report.status,
                error_code=report.error_code,
                error_message=fields.clean_text(report.error_message or "") or None,
            )
            if moved:  # the console's ticks move live
                live.status_after_commit(
                    db.session,
                    provider=meta.PROVIDER,
                    provider_message_id=report.provider_message_id,
                )
        db.session.commit()
    except DATABASE_DOWN as exc:
        db.session.rollback()
        # the class names only: the statement's parameters carry the citizen's number and text
        log.error(
            "meta webhook: database unavailable (%s/%s); answered 503",
            type(exc).__name__,
            type(getattr(exc, "orig", None)).__name__,
        )
        return _error(503, "unavailable", "The notification could not be stored; retry later.")
    return Response("", status=200, mimetype="text/plain")
