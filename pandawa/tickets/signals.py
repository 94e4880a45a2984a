"""What the ticket layer announces to the layers above it, as blinker signals (Flask's own).

A lower layer never imports a higher one; where a change of a ticket must cause something
above it, the ticket layer sends a signal and the upper layer connects a receiver in its
`init_app` (called by create_app). Receivers run in the sender's transaction: they add and
flush, never commit, so the whole change commits or rolls back together.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sent by `operations.resolve` once the ticket is resolved: (session, ticket=Ticket, at=datetime)
ticket_resolved = _signals.signal("ticket-resolved")
# sent by `operations.transfer` once the ticket moved to another queue (an agent's or a
# supervisor's act, not a catalogue load): (session, ticket=Ticket, at=datetime)
ticket_transferred = _signals.signal("ticket-transferred")
