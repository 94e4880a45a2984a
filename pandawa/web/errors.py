"""One error shape for every API answer that is not a success:
`{"error": {"code": "...", "message": "..."}}`, messages in Bahasa Indonesia, then English."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from pandawa.tickets.operations import TicketError

log = logging.getLogger(__name__)

# domain refusals: 409 when the ticket's state forbids it, 422 when the request names nonsense
TICKET_ERROR_STATUS = {
    "not_holder": 409,
    "ticket_closed": 409,
    "unknown_queue": 422,
    "invalid_body": 422,
    "same_queue": 422,
}

HTTP_CODES = {
    400: ("bad_request", "Permintaan tidak valid. / Bad request."),
    401: ("unauthorized", "Token tidak ada atau tidak valid. / Missing or invalid token."),
    403: ("forbidden", "Akses ditolak. / Forbidden."),
    404: ("not_found", "Tidak ditemukan. / Not found."),
    405: ("method_not_allowed", "Metode tidak diizinkan. / Method not allowed."),
    413: ("payload_too_large", "Isi permintaan terlalu besar. / Request body too large."),
    415: ("unsupported_media_type", "Jenis isi tidak didukung. / Unsupported media type."),
    500: ("internal_error", "Terjadi kesalahan pada server. / Internal server error."),
}


class ApiError(Exception):
    """Raise from a view to answer `status` with this code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def not_found(what_id: str = "", what_en: str = "") -> ApiError:
    """404 naming what was not found, in Bahasa Indonesia and English."""
    if what_id and what_en:
        return ApiError(404, "not_found", f"{what_id} tidak ditemukan. / {what_en} not found.")
    return ApiError(404, "not_found", HTTP_CODES[404][1])


def register_error_handlers(bp: Blueprint) -> None:
    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message)

    @bp.errorhandler(TicketError)
    def _ticket_error(exc: TicketError) -> Response:
        return error_response(TICKET_ERROR_STATUS.get(exc.code, 409), exc.code, exc.message)

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code, message = HTTP_CODES.get(status, ("http_error", exc.description or exc.name))
        if status >= 500:
            log.error("API request failed with %s", status)
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        return error_response(status, code, message, headers)


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object (400 otherwise)."""
    payload = request.get_json(force=True, silent=True)
    if not isinstance(payload, dict):
        raise ApiError(
            400,
            "invalid_json",
            "Isi permintaan harus objek JSON. / The request body must be a JSON object.",
        )
    return payload
