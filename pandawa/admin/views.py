"""`/admin/users`: list, create, change role and queues, deactivate. Admins only (403 otherwise)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.accounts import operations, presence
from pandawa.accounts.models import ROLES, ApiToken, User
from pandawa.admin import operations as membership
from pandawa.audit.operations import record
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue
from pandawa.tickets.queries import active_queues
from pandawa.tickets.scopes import operations as scopes
from pandawa.tickets.scopes.operations import known_regions, scope_of
from pandawa.web.auth import client_address, login_manager
from pandawa.web.i18n import t
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("admin", __name__, url_prefix="/admin", static_folder=None)


@bp.before_request
def require_admin() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != "admin":
        abort(403)
    return None


@bp.get("/users")
def users() -> str:
    rows = list(db.session.scalars(sa.select(User).order_by(User.is_active.desc(), User.email)))
    return render_template(
        "admin/users.html",
        users=rows,
        queues=active_queues(db.session),
        roles=ROLES,
        offices=db.session.scalars(sa.select(Office).order_by(Office.code)).all(),
        regions=known_regions(db.session),
        scope_of=scope_of,
        presence=presence.get_presence(current_user._get_current_object()),
    )


@bp.post("/users")
def create() -> Response:
    try:
        user = membership.create_user(
            db.session,
            request.form.get("email", ""),
            request.form.get("role", ""),
            request.form.getlist("queues"),
            password=request.form.get("password") or None,
            name=(request.form.get("name") or "").strip()[:200],
        )
    except operations.AccountError as exc:
        return _refused(str(exc))
    email = user.email
    db.session.commit()
    return _back(t("user_created", email=email), "success")


@bp.post("/users/<int:user_id>")
def update(user_id: int) -> Response:
    user = db.session.get(User, user_id) or abort(404)
    role = request.form.get("role", "")
    if role not in ROLES:
        return _back(f"Peran tidak dikenal: {role!r}. / Unknown role {role!r}.", "error")
    codes = request.form.getlist("queues")
    queues = list(db.session.scalars(sa.select(Queue).where(Queue.code.in_(codes))))
    user.role = role
    user.queues = queues
    password = request.form.get("password") or ""
    if password:
        try:
            operations.set_password(user, password)  # ends the user's sessions too
        except operations.AccountError as exc:
            return _refused(str(exc))
        _audit("password_changed", user)
    email = user.email
    db.session.commit()
    log.info("user %s updated by admin %s", user_id, current_user.id)
    return _back(t("user_saved", email=email), "success")


@bp.post("/users/<int:user_id>/name")
def set_name(user_id: int) -> Response:
    """The name colleagues see for the user (blank: the e-mail's local part)."""
    user = db.session.get(User, user_id) or abort(404)
    try:
        operations.set_name(user, request.form.get("name", ""))
    except operations.AccountError as exc:
        return _refused(str(exc))
    email = user.email
    db.session.commit()
    log.info("name of user %s changed by admin %s", user_id, current_user.id)
    return _back(t("user_saved", email=email), "success")


@bp.post("/users/<int:user_id>/scope")
def set_scope(user_id: int) -> Response:
    """The offices and regions a supervisor is bound to (none: agency-wide); audited."""
    user = db.session.get(User, user_id) or abort(404)
    try:
        scopes.set_scope(
            db.session,
            user,
            request.form.getlist("offices"),
            request.form.getlist("regions"),
            actor_id=current_user.id,
            address=client_address(),
        )
    except scopes.ScopeRefused as exc:
        return _refused(str(exc))
    email = user.email
    db.session.commit()
    log.info("scope of user %s changed by admin %s", user_id, current_user.id)
    return _back(t("user_saved", email=email), "success")


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int) -> Response:
    user = db.session.get(User, user_id) or abort(404)
    user.is_active = False
    operations.end_sessions(user)
    revoked = operations.revoke_tokens(db.session, user)
    _audit("user_deactivated", user, revoked_tokens=revoked)
    email = user.email
    db.session.commit()
    log.info("user %s deactivated by admin %s", user_id, current_user.id)
    return _back(t("user_deactivated", email=email), "success")


@bp.post("/users/<int:user_id>/sign-out-everywhere")
def sign_out_everywhere(user_id: int) -> Response:
    """Keluar dari semua perangkat, for another user: every browser session of theirs ends."""
    user = db.session.get(User, user_id) or abort(404)
    operations.end_sessions(user)
    _audit("sign_out_everywhere", user)
    email = user.email
    db.session.commit()
    log.info("sessions of user %s ended by admin %s", user_id, current_user.id)
    return _back(t("signed_out_everywhere", email=email), "success")


@bp.get("/users/<int:user_id>/tokens")
def tokens(user_id: int) -> str:
    user = db.session.get(User, user_id) or abort(404)
    return render_template(
        "admin/tokens.html",
        user=user,
        tokens=operations.user_tokens(db.session, user),
        now=now(),
        presence=presence.get_presence(current_user._get_current_object()),
    )


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id) or abort(404)
    if operations.revoke_token(db.session, token):
        _audit("token_revoked", token.user, token_id=token.id)
    user_id = token.user_id
    db.session.commit()
    log.info("api token %s revoked by admin %s", token_id, current_user.id)
    flash(t("token_revoked"), "success")
    return redirect(url_for("admin.tokens", user_id=user_id))


def _audit(action: str, user: User, **details: object) -> None:
    """An audit row for an admin's act on `user`: the admin is the actor."""
    record(
        db.session,
        action,
        actor_id=current_user.id,
        address=client_address(),
        details={"user_id": user.id, **details},
    )


def _back(message: str, category: str) -> Response:
    """Back to the list of users, with one message ("error" or "success") on it."""
    flash(message, category)
    return redirect(url_for("admin.users"))


def _refused(message: str) -> Response:
    """An operation refused: nothing of this request is kept."""
    db.session.rollback()
    return _back(message, "error")
