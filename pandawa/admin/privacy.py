"""`/admin/privacy`: a citizen's export and erasure requests (UU No. 27/2022), from the browser.
Admins only (403 otherwise); every POST carries the CSRF token; each act is audited with the
admin as actor and the client's address, never the number."""

from __future__ import annotations

import io
import logging

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from pandawa.citizens.masking import mask_phone
from pandawa.core import clock
from pandawa.core.config import current_settings
from pandawa.core.extensions import db
from pandawa.privacy.erasure import erase_citizen, remove_files
from pandawa.privacy.export import export_citizen
from pandawa.privacy.lookup import BadNumber, find_contacts, international_digits
from pandawa.privacy.records import gather
from pandawa.web.auth import login_manager
from pandawa.web.shell import page_blueprint

log = logging.getLogger(__name__)

bp = page_blueprint("admin_privacy", __name__, url_prefix="/admin/privacy", static_folder=None)

NOTHING_HELD = (
    "Tidak ada data untuk nomor {masked}: tidak pernah ada, atau sudah dihapus. / "
    "No data held for {masked}: none, or already erased."
)


@bp.before_request
def require_admin() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != "admin":
        abort(403)
    return None


@bp.get("")
def form() -> str:
    return render_template("admin/privacy.html", confirm=None)


@bp.post("/export")
def export() -> Response:
    found = _contacts()
    if isinstance(found, Response):
        return found
    contacts, _masked = found
    archive = export_citizen(db.session, current_settings(), contacts, **_actor())
    db.session.commit()
    name = f"privacy-export-{clock.now():%Y%m%dT%H%M%SZ}.zip"
    return send_file(
        io.BytesIO(archive.archive),
        mimetype="application/zip",
        as_attachment=True,
        download_name=name,
    )


@bp.post("/erase")
def erase() -> Response | str:
    found = _contacts()
    if isinstance(found, Response):
        return found
    contacts, masked = found
    if request.form.get("confirm") != "yes":
        records = gather(db.session, contacts)
        db.session.rollback()
        return render_template(
            "admin/privacy.html",
            confirm={
                "phone": request.form.get("phone", ""),
                "masked": masked,
                "messages": len(records.messages),
                "tickets": len(records.tickets),
                "open": sum(t.is_open for t in records.tickets),
            },
        )
    done = erase_citizen(db.session, current_settings(), contacts, **_actor())
    db.session.commit()
    remove_files(done.files)
    counts = done.counts()
    log.info("privacy erase by admin %s: %s", current_user.id, counts)
    flash(
        f"Data {masked} dihapus: {counts['messages']} pesan, {counts['tickets']} tiket, "
        f"{counts['files']} berkas. / {masked}'s data erased: {counts['messages']} messages, "
        f"{counts['tickets']} tickets, {counts['files']} files.",
        "success",
    )
    return redirect(url_for("admin_privacy.form"))


def _contacts() -> tuple[list, str] | Response:
    """The contacts of the number in the form, and the number masked; or back to the form."""
    phone = request.form.get("phone", "")
    try:
        masked = mask_phone("+" + international_digits(phone))
    except BadNumber as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin_privacy.form"))
    contacts = find_contacts(db.session, phone)
    if not contacts:
        db.session.rollback()
        flash(NOTHING_HELD.format(masked=masked), "error")
        return redirect(url_for("admin_privacy.form"))
    return contacts, masked


def _actor() -> dict:
    return {
        "actor_id": current_user.id,
        "actor_label": current_user.email,
        "address": request.remote_addr or "",
    }
