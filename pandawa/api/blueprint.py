"""The API's blueprint under /api/v1: a bearer token on every call (but the public ones), the
token's last use recorded, one JSON error shape. The routes live in views.py and media.py."""

from __future__ import annotations

from flask import Blueprint

from pandawa.web.errors import register_error_handlers
from pandawa.web.tokens import authenticate, commit_token_touch

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
bp.after_request(commit_token_touch)
register_error_handlers(bp)
