"""The delivery statuses the outside world is promised (PRODUCT.md: the API's `status` of an
outbound message), and the one mapping from the states kept inside to them.

Inside, an outbound row also passes through states of our own: `sending` (claimed by a send
task, the provider not yet answered), `held` (written while the 24-hour window is shut, not
sent until the citizen writes) and `accepted` (the provider took it, below its `queued`). None
of them is in the contract. Every place that shows a status to a client or a page — the API's
ticket detail, the console's ticks, the live events behind them — passes it through
`contract_status`, so a client never meets a state it was not told about.
"""

from __future__ import annotations

from pandawa.channels.models import OUT_STATUSES
from pandawa.channels.outbox import HELD

CONTRACT_STATUSES = ("pending", "queued", "sent", "delivered", "read", "failed", "undelivered")
# every state an outbound row can be in (OUT_STATUSES are the ranked ones; `held` waits aside)
INTERNAL_STATUSES = (*OUT_STATUSES, HELD)

_INTERNAL = {
    "sending": "pending",  # nothing has left yet as far as the citizen can tell
    HELD: "pending",  # waits for the citizen's next message, then goes
    "accepted": "queued",  # the provider has it, and queues it
}


def contract_status(status: str | None) -> str:
    """The contract's name for an outbound message's `status`; an unknown one (none is
    expected) reads as `pending`: nothing is claimed that did not happen."""
    if status in CONTRACT_STATUSES:
        return status
    return _INTERNAL.get(status or "", "pending")
