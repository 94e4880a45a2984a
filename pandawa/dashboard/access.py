"""Who may open a dashboard page: supervisors and admins. Every dashboard blueprint registers
`require_supervisor` as its `before_request` (what each one then shows is narrowed by the
visibility rules of `pandawa.tickets.queries`)."""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template, request
from flask_login import current_user

from pandawa.web.auth import login_manager

log = logging.getLogger(__name__)

ROLES = ("supervisor", "admin")


def require_supervisor() -> Any:
    """Sign-in first (the login page), then the role: agents get the dashboard's 403 page."""
    if request.endpoint == "dashboard.static":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in ROLES:
        log.info("dashboard refused to user %s (role %s)", current_user.id, current_user.role)
        return render_template("dashboard/error.html", status=403, message=None), 403
    return None
