"""The page shell every browser feature shares, wired by `init_app` (from create_app).

The shell's blueprint serves the base template (`base.html`), its styles and script, the
sign-in pages and the 404 page; every HTML answer gets the security headers. A feature builds
its own blueprint with `page_blueprint` and extends `base.html`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template, request

from pandawa.web import auth
from pandawa.web.csp import secure_headers, strict_transport
from pandawa.web.filters import register_filters
from pandawa.web.sessions import CookieFirstSessions

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


def page_blueprint(name: str, import_name: str, **options: Any) -> Blueprint:
    """A feature's browser blueprint: its own templates and static files, and the security
    headers on every answer (JSON and streams included, not just HTML)."""
    options.setdefault("template_folder", "templates")
    options.setdefault("static_folder", "static")
    blueprint = Blueprint(name, import_name, **options)
    blueprint.after_request(secure_headers)
    return blueprint


def init_app(app: Flask) -> None:
    """Sessions, login manager, the shell and sign-in blueprints, filters, the 404 page, the
    security headers of every HTML page and HSTS on every answer when served over https."""
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE"))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.session_interface = CookieFirstSessions()
    auth.login_manager.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(auth.bp)
    register_filters(app)
    app.register_error_handler(404, _not_found)
    app.after_request(_html_headers)
    app.after_request(strict_transport)


def _not_found(error: Exception) -> Any:
    """The shell's own 404 page, in the interface language; "absent" and "not yours" look the
    same. JSON clients keep their JSON errors."""
    if request.path.startswith("/api/"):
        return error
    return render_template("web/404.html"), 404


def _html_headers(response: Any) -> Any:
    """CSP and friends on every HTML page (the media route sets its own, stricter one)."""
    if response.mimetype == "text/html":
        secure_headers(response)
    return response
