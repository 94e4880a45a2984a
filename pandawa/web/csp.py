"""Security headers of the browser pages: no inline script, nothing framed, nothing foreign."""

from __future__ import annotations

from flask import Response

from pandawa.core.config import current_settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# a year, subdomains included: the browser never again tries plain http for this host
HSTS = "max-age=31536000; includeSubDomains"


def secure_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # pages show citizens' messages and NIK: never kept by a shared cache
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def strict_transport(response: Response) -> Response:
    """HSTS on every answer (pages, API, webhooks) when Pandawa is served over https, so a
    browser that has seen it once never sends a session cookie over plain http."""
    if current_settings().public_base_url.startswith("https://"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
