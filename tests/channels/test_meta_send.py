"""channels.send_message through a Meta number, against the fake Graph API, with real commits:
text, long text, files by link, approved templates, and Meta's error codes as permanent or
transient (the same retries as Twilio's)."""

from __future__ import annotations

import pytest

from pandawa.channels.contract import contract_status
from pandawa.channels.meta import MetaProvider, MetaTemplate, classify
from pandawa.channels.meta_templates import catalog_templates
from pandawa.channels.models import Message
from pandawa.channels.outbox import queue_outbound
from pandawa.channels.providers import OutboundRequest, PermanentSendError, TransientSendError
from pandawa.core.config import settings_of
from pandawa.core.extensions import db
from pandawa.provisioning.operations import load_default
from tests.fakes import meta_graph as graph
from tests.harness import CITIZEN, OFFICE

pytestmark = pytest.mark.usefixtures("live_db")

OURS = "whatsapp:+6281180001600"  # a Meta number (META_PHONE_NUMBER_ID: one id for all)


@pytest.fixture
def meta_fake(fake_graph):
    fake_graph.reset()
    yield fake_graph
    fake_graph.reset()


@pytest.fixture
def send(run_task):
    return lambda message_id: run_task("channels.send_message", message_id)


@pytest.fixture
def queue(app):
    def make(body: str = "Nomor tiket Anda PDW-20261201-0001.", **kwargs) -> list[int]:
        with app.app_context():
            rows = queue_outbound(
                db.session,
                provider=kwargs.pop("provider", "meta"),
                sender=kwargs.pop("sender", OURS),
                recipient=CITIZEN,
                body=body,
                **kwargs,
            )
            db.session.commit()
            return [r.id for r in rows]

    return make


def row(app, message_id: int) -> Message:
    with app.app_context():
        message = db.session.get(Message, message_id)
        db.session.expunge(message)
        return message


def test_a_text_goes_to_the_phone_number_id_with_the_token(app, send, queue, meta_fake):
    [message_id] = queue()

    assert send(message_id).state == "SUCCESS"

    [sent] = meta_fake.messages
    assert sent.phone_number_id == graph.PHONE_NUMBER_ID
    assert sent.to == "6281234567890"
    assert sent.payload == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"body": "Nomor tiket Anda PDW-20261201-0001.", "preview_url": False},
    }
    assert ("POST", f"/{graph.VERSION}/{graph.PHONE_NUMBER_ID}/messages") in [
        (m, p) for m, p, auth in meta_fake.requests if auth == f"Bearer {graph.ACCESS_TOKEN}"
    ]
    stored = row(app, message_id)
    assert stored.provider_message_id == sent.wamid
    assert contract_status(stored.status) == "queued"


def test_a_long_text_is_split_at_metas_4096_not_twilios_1600(app, send, queue, meta_fake):
    paragraph = "Mohon lengkapi berkas berikut. " * 60  # ~1,900 characters
    ids = queue("\n\n".join([paragraph.strip()] * 3))  # ~5,600 characters

    assert len(ids) == 2
    for message_id in ids:
        assert send(message_id).state == "SUCCESS"
    bodies = [m.body for m in meta_fake.messages]
    assert len(bodies) == 2 and all(len(b) <= 4096 for b in bodies)
    assert len(bodies[0]) > 1600


def test_each_message_goes_through_its_own_provider(app, send, queue, meta_fake, fake_twilio):
    fake_twilio.reset()
    [by_meta] = queue("lewat Meta")
    [by_twilio] = queue("lewat Twilio", provider="twilio", sender=OFFICE)

    assert send(by_meta).state == send(by_twilio).state == "SUCCESS"

    assert [m.body for m in meta_fake.messages] == ["lewat Meta"]
    assert [m.body for m in fake_twilio.messages] == ["lewat Twilio"]


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 131047), (400, 131026), (401, 190), (400, 100), (400, 132001)],
    ids=["outside-window", "undeliverable", "token-expired", "bad-parameter", "no-template"],
)
def test_a_permanent_error_fails_at_once_with_metas_code(app, send, queue, meta_fake, status, code):
    [message_id] = queue()
    meta_fake.fail_next(status, code, "nope")

    assert send(message_id).result == "failed"

    failed = row(app, message_id)
    assert (failed.status, failed.error_code) == ("failed", str(code))
    assert meta_fake.messages == []


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 130429), (400, 131056), (400, 80007), (500, 131000), (503, 2)],
    ids=["throughput", "pair-rate", "account-rate", "generic", "service"],
)
def test_a_transient_error_is_retried_then_sent_once(app, send, queue, meta_fake, status, code):
    [message_id] = queue()
    meta_fake.fail_next(status, code, "later")

    first = send(message_id)
    assert first.state == "RETRY"
    waiting = row(app, message_id)
    assert (waiting.status, waiting.error_code) == ("pending", str(code))

    assert send(message_id).state == "SUCCESS"
    assert len(meta_fake.messages) == 1
    assert row(app, message_id).error_code is None


def test_classify_reads_the_graph_error_not_the_http_status():
    assert isinstance(classify(400, graph.graph_error(130429, "x")), TransientSendError)
    assert isinstance(classify(400, graph.graph_error(131047, "x")), PermanentSendError)
    assert isinstance(classify(502, {}), TransientSendError)
    assert classify(400, graph.graph_error(131047, "more than 24 hours")).code == "131047"


def _request(**kw) -> OutboundRequest:
    return OutboundRequest(sender=OURS, recipient=CITIZEN, body=kw.pop("body", None), **kw)


def test_a_pdf_goes_as_a_document_by_its_signed_link(app, meta_fake):
    link = "https://pandawa.example.go.id/media/out/abc.def"
    provider = MetaProvider(settings_of(app))

    provider.send(
        _request(
            body="Surat keterangan",
            media_urls=(link,),
            media_types=("application/pdf",),
            media_names=("surat.pdf",),
        )
    )
    provider.send(_request(media_urls=(link,), media_types=("image/jpeg",)))

    document, image = meta_fake.messages
    assert (document.type, document.payload["document"]) == (
        "document",
        {"link": link, "caption": "Surat keterangan", "filename": "surat.pdf"},
    )
    assert (image.type, image.payload["image"]) == ("image", {"link": link})


def test_a_template_goes_by_its_meta_name_with_the_variables_in_order(app, meta_fake):
    sid = "HX" + "1" * 32
    templates = {sid: MetaTemplate("window_reopen", "id")}
    provider = MetaProvider(settings_of(app), templates=lambda: templates)

    provider.send(
        _request(content_sid=sid, content_variables={"2": "Senin", "1": "PDW-20261201-0001"})
    )

    [sent] = meta_fake.messages
    assert sent.template == {
        "name": "window_reopen",
        "language": {"code": "id"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "PDW-20261201-0001"},
                    {"type": "text", "text": "Senin"},
                ],
            }
        ],
    }


def test_a_template_without_a_meta_name_fails_without_calling_meta(app, meta_fake):
    provider = MetaProvider(settings_of(app), templates=dict)
    with pytest.raises(PermanentSendError, match="no Meta template"):
        provider.send(_request(content_sid="HX" + "9" * 32, content_variables={}))
    assert meta_fake.requests == []


def test_the_shipped_catalogue_names_its_templates_for_meta(app):
    with app.app_context():
        load_default(db.session)
        db.session.commit()
        templates = catalog_templates()
        assert not db.session().in_transaction()  # the read ended: nothing held across a send
    assert templates["HX00000000000000000000000000000001"] == MetaTemplate("window_reopen", "id")
