"""Browser sign-in: Flask-Login sessions, `/login`, `/logout` (POST) and `/`.

`pandawa.web.shell.init_app` wires the login manager and this blueprint; CSRF comes from the
app-wide CSRFProtect (pandawa/core/extensions.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy.orm import lazyload
from werkzeug.wrappers import Response

from pandawa.accounts import throttle
from pandawa.accounts.models import User
from pandawa.accounts.operations import (
    AccountError,
    authenticate,
    change_password,
    end_sessions,
    find_user,
)
from pandawa.audit.operations import record
from pandawa.core.clock import now
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.web.csp import secure_headers
from pandawa.web.i18n import COOKIE, LANGUAGES, t
from pandawa.web.redirects import same_site_path

log = logging.getLogger(__name__)

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"
login_manager.login_message = None  # the login page says enough

bp = Blueprint("auth", __name__)
bp.after_request(secure_headers)


# what a browser session carries besides Flask-Login's user id (epoch seconds for the times)
VERSION = "_pdw_ver"
SIGNED_IN_AT = "_pdw_since"
SEEN_AT = "_pdw_seen"
SEEN_REFRESH_SECONDS = 60  # "last seen" is rewritten at most once a minute


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    # the queue list is loaded when a page uses it, not on every request (a claim does not)
    user = db.session.scalar(_active_user(), {"user_id": int(user_id)})
    if user is None:
        return None
    ended = _session_ended(user)
    if ended:
        _end_this_session(user, ended)
        return None
    return user


def _session_ended(user: User) -> str | None:
    """Why this browser session may no longer act for `user` (None while it may): its version
    is not the user's (signed out, password changed, deactivated, signed out everywhere), it
    was idle too long, or it is older than the absolute lifetime."""
    if session.get(VERSION) != user.session_version:
        return "revoked"
    since, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(since, int) or not isinstance(seen, int):
        return "revoked"
    settings = current_settings()
    at = int(now().timestamp())
    if at - since >= settings.session_max_hours * 3600:
        return "max_age"
    if at - seen >= settings.session_idle_minutes * 60:
        return "idle"
    if at - seen >= SEEN_REFRESH_SECONDS:
        session[SEEN_AT] = at
    return None


def _end_this_session(user: User, reason: str) -> None:
    # the cookie is emptied, so one ended session leaves one record, not one per request;
    # committed here: nothing else of the request has happened yet
    session.clear()
    record(
        db.session,
        "session_expired",
        actor_id=user.id,
        address=client_address(),
        details={"reason": reason},
    )
    db.session.commit()
    log.info("session of user %s ended: %s", user.id, reason)


def _stamp_session(user: User) -> None:
    at = int(now().timestamp())
    session[VERSION] = user.session_version
    session[SIGNED_IN_AT] = at
    session[SEEN_AT] = at


def client_address() -> str:
    """The client's address: after TRUSTED_PROXIES hops (ProxyFix in create_app)."""
    return request.remote_addr or "-"


@cache
def _active_user() -> sa.Select:
    return (
        sa.select(User)
        .where(User.id == sa.bindparam("user_id"), User.is_active)
        .options(lazyload(User.queues))
    )


def home_for(user: Any) -> str:
    # supervisors and admins watch the dashboard; the console stays one link away
    if getattr(user, "role", None) in ("supervisor", "admin"):
        return url_for("dashboard.board_page")
    return url_for("console.work")


@bp.get("/")
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_for(current_user))
        return render_template("web/login.html", email="")
    email = (request.form.get("email") or "").strip()[:254]
    password = request.form.get("password") or ""
    address = client_address()
    wait = throttle.retry_after(db.session, email, address)
    if wait:
        log.warning("sign-in refused: too many failures")
        _record_attempt("sign_in_throttled", email, address, {"retry_after": wait})
        db.session.commit()
        page = render_template("web/login.html", email=email, error=t("locked", seconds=wait))
        response = make_response(page, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = authenticate(db.session, email, password)
    if user is None:
        db.session.rollback()
        throttle.record_failure(db.session, email, address)
        _record_attempt("sign_in_failed", email, address)
        db.session.commit()
        log.info("sign-in failed")
        return render_template("web/login.html", email=email, error=t("bad_login")), 200
    throttle.record_success(db.session, email, address)
    _fresh_session()  # nothing from before sign-in survives
    login_user(user, remember=False)
    _stamp_session(user)
    user.presence = "online"  # signing in is starting work; the header select changes it
    record(db.session, "sign_in", actor_id=user.id, address=address)
    db.session.commit()  # presence, the record, and a rehashed password if any
    log.info("user %s signed in", user.id)
    return redirect(same_site_path(request.args.get("next")) or home_for(user))


def _record_attempt(action: str, email: str, address: str, details: dict | None = None) -> None:
    """An audit row for a refused sign-in: the account when the email is one, else a keyed
    digest of what was typed (never the typed email: it may be a password in the wrong box)."""
    known = find_user(db.session, email)
    if known is not None:
        record(db.session, action, actor_id=known.id, address=address, details=details)
        return
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]
    record(db.session, action, actor_label="email#" + digest, address=address, details=details)


def _fresh_session() -> None:
    session.clear()
    # Flask-WTF caches the signed CSRF token in `g`; the raw one just left with the session
    g.pop("csrf_token", None)


@bp.post("/logout")
def logout() -> Response:
    return _sign_out("sign_out")


@bp.post("/logout/everywhere")
def logout_everywhere() -> Response:
    """Keluar dari semua perangkat (sign out everywhere): every session of the user ends."""
    return _sign_out("sign_out_everywhere")


def _sign_out(action: str) -> Response:
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        user.presence = "offline"  # their held tickets return to the queue (beat)
        # a signed-out cookie must not work again even if it was copied: end them all
        end_sessions(user)
        record(db.session, action, actor_id=user.id, address=client_address())
        db.session.commit()
    logout_user()
    _fresh_session()
    flash(t("signed_out"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    """Ganti kata sandi (change password): the current one, then the new one twice. Every
    other session of the user ends; this one continues."""
    if request.method == "GET":
        return render_template("web/password.html", error=None)
    user = current_user._get_current_object()
    new = request.form.get("new_password") or ""
    if new != (request.form.get("confirm_password") or ""):
        return render_template("web/password.html", error=t("password_mismatch")), 200
    try:
        change_password(user, request.form.get("current_password") or "", new)
    except AccountError as exc:
        db.session.rollback()
        return render_template("web/password.html", error=str(exc)), 200
    record(db.session, "password_changed", actor_id=user.id, address=client_address())
    db.session.commit()
    session[VERSION] = user.session_version  # this session carries the new version
    log.info("user %s changed their password", user.id)
    flash(t("password_changed"), "success")
    return redirect(home_for(user))


@bp.post("/lang")
def choose_language() -> Response:
    chosen = request.form.get("lang", "id")
    back = same_site_path(request.form.get("back")) or url_for("auth.index")
    response = redirect(back)
    if chosen in LANGUAGES:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_settings().public_base_url.startswith("https://"),
        )
    return response
