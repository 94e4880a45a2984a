"""`/admin/privacy`: an admin downloads a citizen's export or erases it after a confirmation;
agents and supervisors get 403, strangers the sign-in page, a POST without its token 400."""

from __future__ import annotations

import io
import json
import zipfile

import sqlalchemy as sa

from pandawa.audit.models import AuditEvent
from pandawa.citizens.models import Contact
from pandawa.core.extensions import db
from tests.citizen_story import JPEG, NIK
from tests.harness import csrf_token, sign_in, with_password

PAGE = "/admin/privacy"


def _admin(client, make_user):
    admin = with_password(make_user("admin@example.go.id", role="admin"))
    sign_in(client, admin.email)
    return admin


def test_agents_and_supervisors_are_refused(client, session, make_user):
    for role in ("agent", "supervisor"):
        user = with_password(make_user(role=role))
        sign_in(client, user.email)
        assert client.get(PAGE).status_code == 403
        token = csrf_token(client, "/console")
        assert (
            client.post(f"{PAGE}/export", data={"phone": "0812", "csrf_token": token}).status_code
            == 403
        )
        client.post("/logout", data={"csrf_token": token})


def test_anonymous_is_sent_to_sign_in(client, session):
    assert "/login" in client.get(PAGE).headers["Location"]


def test_admin_downloads_the_export_and_it_is_audited(client, session, make_user, story):
    admin = _admin(client, make_user)
    page = client.get(PAGE)
    assert page.status_code == 200 and "Nomor WhatsApp warga" in page.get_data(as_text=True)
    assert f'href="{PAGE}"' in client.get("/admin/users").get_data(as_text=True)  # the nav

    response = client.post(
        f"{PAGE}/export",
        data={"phone": "+62 812-3456-7890", "csrf_token": csrf_token(client, PAGE)},
    )

    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert NIK in archive.read("messages.json").decode()
    assert archive.read(f"media/{story.photo_path.name}") == JPEG
    [audit] = json.loads(archive.read("audit.json"))
    assert audit["actor_id"] == admin.id and audit["address"] == "127.0.0.1"
    row = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "privacy_export"))
    assert (row.actor_id, row.contact_id) == (admin.id, story.contact_id)


def test_admin_erases_after_confirming(client, session, make_user, story, clock):
    admin = _admin(client, make_user)
    token = csrf_token(client, PAGE)

    asked = client.post(f"{PAGE}/erase", data={"phone": "081234567890", "csrf_token": token})

    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Erase +62812****7890" in text and "Ya, hapus" in text
    db.session.expire_all()
    assert db.session.get(Contact, story.contact_id).erased_at is None  # nothing yet
    assert story.photo_path.exists()

    done = client.post(
        f"{PAGE}/erase", data={"phone": "081234567890", "confirm": "yes", "csrf_token": token}
    )

    assert done.status_code == 302
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "dihapus" in shown and "erased" in shown
    db.session.expire_all()
    contact = db.session.get(Contact, story.contact_id)
    assert (contact.erased_at, contact.address) == (clock.now(), f"erased:{contact.id}")
    assert not story.photo_path.exists()
    row = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "privacy_erase"))
    assert (row.actor_id, row.address, row.contact_id) == (admin.id, "127.0.0.1", contact.id)

    again = client.post(
        f"{PAGE}/erase", data={"phone": "081234567890", "confirm": "yes", "csrf_token": token}
    )
    assert "No data held" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_post_without_its_csrf_token_is_refused(client, session, make_user, story):
    _admin(client, make_user)

    response = client.post(f"{PAGE}/erase", data={"phone": "081234567890", "confirm": "yes"})

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Contact, story.contact_id).erased_at is None
