"""Flask's signed-cookie session, cheaper for the requests that carry no session cookie.

The provider webhooks, the API and the probes never have one; Flask would still build its
signing serializer to open the session and work out the cookie's settings to save it.
`CookieFirstSessions` looks for the cookie first and leaves an untouched empty session alone:
the same sessions, the same cookies, less work on the hot path.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieFirstSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask returns without the cookie
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if not session and not session.modified and not session.accessed:
            return  # nothing read, nothing written: no cookie to set, delete or vary on
        super().save_session(app, session, response)
