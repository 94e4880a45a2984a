"""The simulator provider: no network. Sends "succeed" at once; the simulator page shows the
citizen's phone by reading the message rows from the database."""

from __future__ import annotations

import uuid
from datetime import datetime

from pandawa.channels.providers import OutboundRequest, SendResult, SentRecord

PROVIDER = "simulator"


class SimulatorProvider:
    name = PROVIDER

    def send(self, request: OutboundRequest) -> SendResult:
        return SendResult(provider_message_id="SIM" + uuid.uuid4().hex, status="delivered")

    def find_recent(self, recipient: str, sender: str, since: datetime) -> list[SentRecord]:
        # nothing can be half-sent here: a send either returned or never happened
        return []
