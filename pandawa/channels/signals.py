"""What the provider layer asks the layers above it, as blinker signals.

`channels` knows nothing of citizens or tickets; where a send depends on what a higher layer
knows, the outbox sends a signal and that layer connects a receiver in its `init_app`.
Receivers run in the caller's transaction and only read.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by the outbox before it queues a notification or a template — the messages a citizen
# did not ask for, as opposed to replies (`queue_outbound`):
# (session, provider=str, recipient=str, conversation_id=int | None) → a receiver answering
# True silences it (nothing is queued). Every proactive send passes here, so one receiver
# (tickets.consent) holds the citizens' opt-out and blocking for all of them.
notification_due = _signals.signal("notification-due")
