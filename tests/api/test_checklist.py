"""GET /api/v1/tickets/<number> carries the checklist the bot walked (issue 17, item 10): each
check's answer, each document's stored file with its (audited) download URL."""

from __future__ import annotations

from pandawa.tickets.models import Queue
from tests.checklist_story import (  # noqa: F401
    checklist_ticket,
    citizen_writes,
    media_dir,
    twilio_fake,
)


def test_the_ticket_json_lists_the_checklist(
    session,
    client,
    make_user,
    bearer,
    checklist_ticket,  # noqa: F811
):
    ticket = checklist_ticket.ticket
    agent = make_user("agen.api@example.go.id", queues=[session.get(Queue, ticket.queue_id)])

    response = client.get(f"/api/v1/tickets/{ticket.number}", headers=bearer(agent))

    assert response.status_code == 200
    check, ktp, kk, other = response.json["checklist"]
    assert check == {
        "position": 0,
        "kind": "check",
        "text": "Apakah data pada Kartu Keluarga (KK) Bapak/Ibu sudah sesuai dengan data Dukcapil?",
        "text_en": "Do the details on your Family Card (KK) match the civil registry (Dukcapil)?",
        "required": True,
        "state": "met",
        "answer": "ya",
        "document": None,
    }
    url = f"/api/v1/tickets/{ticket.number}/media/{checklist_ticket.ktp_message_id}/0"
    assert (ktp["state"], ktp["text"], ktp["answer"]) == ("received", "KTP-el peserta", None)
    assert ktp["document"] == {
        "message_id": checklist_ticket.ktp_message_id,
        "index": 0,
        "content_type": "image/jpeg",
        "status": "stored",
        "download_url": url,
    }
    assert kk["document"]["content_type"] == "application/pdf"
    assert (other["state"], other["required"], other["document"]) == ("skipped", False, None)

    download = client.get(url, headers=bearer(agent))
    download.close()
    assert download.status_code == 200 and download.mimetype == "image/jpeg"


def test_the_openapi_document_describes_the_checklist(client):
    doc = client.get("/api/v1/openapi.json").json
    detail = doc["components"]["schemas"]["TicketDetail"]["allOf"][1]["properties"]
    assert detail["checklist"]["items"] == {"$ref": "#/components/schemas/ChecklistItem"}
    item = doc["components"]["schemas"]["ChecklistItem"]
    assert item["properties"]["state"]["enum"] == ["met", "not_met", "received", "skipped"]
