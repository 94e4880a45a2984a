"""The console's delivery ticks speak the contract's statuses: a row a send task holds
(`sending`) shows the clock of `pending`, one the provider took (`accepted`) the tick of
`queued`; a held message says it is held."""

from __future__ import annotations

import re


def test_ticks_show_the_contracts_statuses(
    client_as, make_queue, make_user, make_ticket, add_message
):
    queue = make_queue()
    agent = make_user(queues=[queue])
    ticket = make_ticket(queue=queue, status="assigned", assignee=agent)
    sending = add_message(ticket, "out", "Sedang dikirim", author=agent, status="sending")
    accepted = add_message(ticket, "out", "Diterima", author=agent, status="accepted")
    held = add_message(ticket, "out", "Menunggu", author=agent, status="held")

    page = client_as(agent).get(f"/console/tickets/{ticket.number}").get_data(as_text=True)

    def ticks(message) -> str:
        item = re.search(rf'<li data-message-id="{message.id}"[^>]*>.*?</li>', page, re.S)
        assert item, page
        return item.group(0)

    assert 'data-status="pending"' in ticks(sending) and 'title="pending"' in ticks(sending)
    assert "🕓" in ticks(sending)
    assert 'title="queued"' in ticks(accepted) and "✓" in ticks(accepted)
    assert 'title="pending"' in ticks(held) and "ditahan" in ticks(held)
    assert "sending" not in page and "accepted" not in page
