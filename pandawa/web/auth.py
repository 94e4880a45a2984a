"""Browser sign-in: Flask-Login sessions, `/login`, `/logout` (POST) and `/`.

`pandawa.web.shell.init_app` wires the login manager and this blueprint; CSRF comes from the
app-wide CSRFProtect (pandawa/core/extensions.py).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy.orm import lazyload
from werkzeug.wrappers import Response

from pandawa.accounts import throttle
from pandawa.accounts.models import User
from pandawa.accounts.operations import authenticate
from pandawa.core.extensions import db
from pandawa.web.csp import secure_headers
from pandawa.web.i18n import COOKIE, LANGUAGES, t

log = logging.getLogger(__name__)

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"
login_manager.login_message = None  # the login page says enough

bp = Blueprint("auth", __name__)
bp.after_request(secure_headers)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    # the queue list is loaded when a page uses it, not on every request (a claim does not)
    return db.session.scalar(_active_user(), {"user_id": int(user_id)})


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
    address = request.remote_addr or "-"
    if throttle.is_locked(email, address):
        log.warning("sign-in refused: too many failures")
        return render_template("web/login.html", email=email, error=t("locked")), 429
    user = authenticate(db.session, email, password)
    if user is None:
        throttle.record_failure(email, address)
        log.info("sign-in failed")
        db.session.rollback()
        return render_template("web/login.html", email=email, error=t("bad_login")), 200
    throttle.record_success(email)
    _fresh_session()  # nothing from before sign-in survives
    login_user(user, remember=False)
    user.presence = "online"  # signing in is starting work; the header select changes it
    db.session.commit()  # presence, and a rehashed password if any
    log.info("user %s signed in", user.id)
    return redirect(_safe_next() or home_for(user))


def _fresh_session() -> None:
    session.clear()
    # Flask-WTF caches the signed CSRF token in `g`; the raw one just left with the session
    g.pop("csrf_token", None)


def _safe_next() -> str | None:
    target = request.args.get("next") or ""
    # only a path on this site: never //other.host or a scheme
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        current_user.presence = "offline"  # their held tickets return to the queue (beat)
        db.session.commit()
    logout_user()
    _fresh_session()
    flash(t("signed_out"), "info")
    return redirect(url_for("auth.login"))


@bp.post("/lang")
def choose_language() -> Response:
    chosen = request.form.get("lang", "id")
    back = request.form.get("back") or ""
    if not (back.startswith("/") and not back.startswith("//")):
        back = url_for("auth.index")
    response = redirect(back)
    if chosen in LANGUAGES:
        response.set_cookie(
            COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True, secure=False
        )
    return response
