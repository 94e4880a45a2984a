"""Agents by name on the pages: the work list's holder, the ticket's holder and the authors of
its replies, the header and the supervisors' board — the name, else the e-mail's local part,
never the e-mail address itself."""

from __future__ import annotations

from pandawa.core.extensions import db


def test_the_console_shows_names_not_addresses(
    client_as, make_queue, make_user, make_ticket, add_message
):
    queue = make_queue()
    me = make_user("saya@example.go.id", queues=[queue])
    siti = make_user("siti.rahayu@example.go.id", queues=[queue])
    siti.name = "Siti Rahayu"
    unnamed = make_user("budi.santoso@example.go.id", queues=[queue])
    unnamed.name = ""
    held = make_ticket(queue=queue, status="assigned", assignee=siti)
    add_message(held, "in", "Halo")
    add_message(held, "out", "Baik, Bu, kami bantu.", author=siti)
    add_message(held, "out", "Saya lanjutkan, Bu.", author=unnamed)
    other = make_ticket(queue=queue, status="assigned", assignee=unnamed)
    db.session.flush()
    client = client_as(me)

    work = client.get("/console").get_data(as_text=True)
    assert "Siti Rahayu" in work and "budi.santoso" in work
    assert "siti.rahayu@example.go.id" not in work
    assert "budi.santoso@example.go.id" not in work
    assert other.number in work

    page = client.get(f"/console/tickets/{held.number}").get_data(as_text=True)
    assert "Siti Rahayu" in page  # the holder and the author of the first reply
    assert '<span class="author">budi.santoso</span>' in page
    assert "@example.go.id" not in page.replace("saya@example.go.id", "")


def test_the_header_and_the_board_use_names(client_as, make_queue, make_user, make_ticket):
    queue = make_queue()
    supervisor = make_user("kepala@example.go.id", role="supervisor")
    supervisor.name = "Ibu Kepala"
    agent = make_user("dewi.l@example.go.id", queues=[queue])
    agent.name = ""
    make_ticket(queue=queue, status="assigned", assignee=agent)  # on the board: she holds one
    db.session.flush()
    client = client_as(supervisor)

    board = client.get("/dashboard").get_data(as_text=True)
    assert '<span class="who">Ibu Kepala</span>' in board
    assert "dewi.l" in board and "dewi.l@example.go.id" not in board
