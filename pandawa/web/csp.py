"""Security headers of the browser pages: no inline script, nothing framed, nothing foreign."""

from __future__ import annotations

from flask import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def secure_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # pages show citizens' messages and NIK: never kept by a shared cache
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response
