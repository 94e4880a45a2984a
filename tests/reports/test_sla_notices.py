"""SLA alerts by e-mail (issue 17): with SLA_ALERT_EMAIL_SMTP_URL set, an 80 % alert is
e-mailed to the supervisors who gave an address, a 100 % one to the admins as well; the named
task sends each once through a real SMTP conversation (a tiny server written here on a socket:
no new dependency) and never a citizen's personal data. Unset: nothing is queued."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
import threading
from datetime import timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.core.clock import now
from pandawa.core.config import EXTENSION_KEY, ConfigError, Settings
from pandawa.core.outbox import OutboxTask
from pandawa.provisioning.operations import load_catalog
from pandawa.reports.models import SlaAlertNotice
from pandawa.reports.sla_alerts import record_alerts
from pandawa.reports.sla_notices import send_notice
from pandawa.reports.tasks import send_sla_alert_email
from tests.catalog.editing import edit


class TinySmtp:
    """Just enough of RFC 5321 for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.messages: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")

        def say(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        say("220 tiny ESMTP")
        while raw := reader.readline():
            command = raw.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                say("250 tiny")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                say("250 OK")
            elif command == "DATA":
                say("354 end with .")
                lines = []
                while (line := reader.readline()) not in (b".\r\n", b""):
                    lines.append(line.decode())
                self.messages.append("".join(lines))
                say("250 OK queued")
            elif command == "QUIT":
                say("221 bye")
                return
            else:
                say("502 not here")

    def close(self) -> None:
        # shutdown first: a close alone leaves the thread blocked in accept() still listening
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture
def smtp(app, monkeypatch):
    server = TinySmtp()
    settings = app.extensions[EXTENSION_KEY]
    monkeypatch.setitem(
        app.extensions,
        EXTENSION_KEY,
        dataclasses.replace(settings, sla_alert_email_smtp_url=f"smtp://127.0.0.1:{server.port}"),
    )
    yield server
    server.close()


@pytest.fixture
def people(make_user):
    supervisor = make_user("sri@example.go.id", role="supervisor")
    supervisor.alert_email = "sri.alerts@example.go.id"
    admin = make_user("adi@example.go.id", role="admin")
    admin.alert_email = "adi.alerts@example.go.id"
    make_user("tanpa@example.go.id", role="supervisor")  # gave no address: board only
    return supervisor, admin


@pytest.fixture
def waiting(session, make_ticket, make_queue, make_office, make_conversation):
    ticket = make_ticket(
        queue=make_queue("UMUM", sla_seconds=1800),
        conversation=make_conversation(office=make_office("JKT")),
    )
    ticket.created_at = ticket.released_at = now() - timedelta(minutes=25)  # 80 %
    session.flush()
    return ticket


def parsed(raw: str) -> EmailMessage:
    return email.message_from_string(raw, policy=email.policy.default)  # type: ignore[return-value]


def notices(session) -> list[SlaAlertNotice]:
    session.expire_all()
    return list(session.scalars(sa.select(SlaAlertNotice).order_by(SlaAlertNotice.id)))


def test_80_percent_mails_supervisors_and_100_admins_too(session, smtp, people, waiting, clock):
    supervisor, admin = people
    record_alerts(session, now())
    (first,) = notices(session)
    assert first.user_id == supervisor.id and first.sent_at is None
    queued = session.scalars(
        sa.select(OutboxTask.args).where(OutboxTask.name == "dashboard.send_sla_alert_email")
    ).all()
    assert queued == [[first.id]]  # handed to the named task after the commit

    assert send_sla_alert_email(first.id) == "sent"
    assert send_sla_alert_email(first.id) == "already_sent"  # a redelivered task sends nothing
    (mail,) = [parsed(m) for m in smtp.messages]
    assert mail["To"] == "sri.alerts@example.go.id"
    assert mail["Subject"] == f"[Pandawa] 80 % target / 80 % of target: {waiting.number} (UMUM)"
    body = mail.get_content()
    assert "menunggu 25 menit waktu kerja untuk tanggapan pertama" in body
    assert "has waited 25 business minutes for its first response" in body
    phone = session.get(Contact, waiting.contact_id).address.removeprefix("whatsapp:")
    assert phone.removeprefix("+") not in body  # no phone number
    assert notices(session)[0].sent_at == now()

    clock.advance(minutes=6)
    record_alerts(session, now())
    later = notices(session)[1:]
    assert sorted(n.user_id for n in later) == sorted([supervisor.id, admin.id])
    for notice in later:
        assert send_sla_alert_email(notice.id) == "sent"
    assert len(smtp.messages) == 3
    subjects = [parsed(m)["Subject"].strip() for m in smtp.messages[1:]]
    assert (
        subjects == [f"[Pandawa] Target terlampaui / Target exceeded: {waiting.number} (UMUM)"] * 2
    )


def test_without_the_setting_nothing_is_queued(session, people, waiting):
    record_alerts(session, now())
    assert notices(session) == []


def test_an_unreachable_server_is_retried_not_lost(app, session, smtp, people, waiting):
    record_alerts(session, now())
    (notice,) = notices(session)
    smtp.close()
    with pytest.raises(OSError):
        send_notice(session, notice.id, now())
    assert notices(session)[0].sent_at is None
    assert OSError in send_sla_alert_email.autoretry_for  # the task tries again later


def test_the_setting_is_checked():
    base = {"PANDAWA_ENV": "test", "SECRET_KEY": "x" * 32}
    ok = Settings.from_env({**base, "SLA_ALERT_EMAIL_SMTP_URL": "smtp://mail.example.go.id:25"})
    assert ok.sla_alert_email_smtp_url == "smtp://mail.example.go.id:25"
    assert Settings.from_env(base).sla_alert_email_smtp_url is None
    for bad in ("mail.example.go.id", "http://mail:25", "smtp://mail", "smtp://mail:99999"):
        with pytest.raises(ConfigError, match="SLA_ALERT_EMAIL_SMTP_URL"):
            Settings.from_env({**base, "SLA_ALERT_EMAIL_SMTP_URL": bad})


# -- WhatsApp: the catalogue's approved `sla_alert` template -----------------------------------
SLA_TEMPLATE = """
templates:
  sla_alert:
    content_sid: HX00000000000000000000000000000017
    variables: [ticket, queue, level, waited, target]
    preview:
      id: "Peringatan SLA: tiket {ticket} ({queue}) {level} % target, {waited} dari {target} menit."
      en: "SLA alert: ticket {ticket} ({queue}) {level} % of target, {waited} of {target} minutes."
"""


@pytest.fixture
def sla_template(session, default_text, write_catalog):
    load_catalog(session, write_catalog(edit(default_text, "\ntemplates:\n", SLA_TEMPLATE)))
    session.flush()


def test_whatsapp_goes_through_the_outbox_as_the_approved_template(
    session, sla_template, make_user, waiting, clock
):
    supervisor = make_user("wa@example.go.id", role="supervisor")
    supervisor.alert_whatsapp = "+6281299990000"
    make_user("wa-admin@example.go.id", role="admin").alert_whatsapp = "+6281299990001"
    record_alerts(session, now())
    (notice,) = notices(session)
    assert (notice.user_id, notice.channel, notice.sent_at) == (supervisor.id, "whatsapp", now())
    (message,) = session.scalars(sa.select(Message).where(Message.direction == "out")).all()
    assert message.recipient == "whatsapp:+6281299990000"
    assert message.content_sid == "HX00000000000000000000000000000017"
    assert message.content_variables == {
        "1": waiting.number,
        "2": "UMUM",
        "3": "80",
        "4": "25",
        "5": "30",
    }
    assert message.status == "pending"  # the outbox's send task takes it, paced per sender
    assert message.conversation_id is None and message.ticket_id is None  # no citizen's thread
    assert message.sender == waiting.office.whatsapp_address

    clock.advance(minutes=6)
    record_alerts(session, now())  # 100 %: the admin as well
    recipients = session.scalars(
        sa.select(Message.recipient).where(Message.direction == "out").order_by(Message.id)
    ).all()
    assert sorted(recipients[1:]) == ["whatsapp:+6281299990000", "whatsapp:+6281299990001"]


def test_without_the_template_no_whatsapp(session, make_user, waiting):
    make_user(role="supervisor").alert_whatsapp = "+6281299990000"
    record_alerts(session, now())
    assert notices(session) == []
    assert session.scalars(sa.select(Message).where(Message.direction == "out")).all() == []


def test_the_whatsapp_alert_is_sent_like_any_message(
    app, session, sla_template, make_user, waiting, fake_twilio
):
    fake_twilio.reset()
    make_user(role="supervisor").alert_whatsapp = "+6281299990000"
    record_alerts(session, now())
    message_id = session.scalar(sa.select(Message.id).where(Message.direction == "out"))
    task = app.extensions["celery"].tasks["channels.send_message"]
    task.push_request(id="sla-alert-send", args=[message_id], retries=0, called_directly=False)
    try:
        assert task(message_id) == "queued"
    finally:
        task.pop_request()
    (sent,) = fake_twilio.sent_to("whatsapp:+6281299990000")
    assert sent.content_sid == "HX00000000000000000000000000000017"
    fake_twilio.reset()
