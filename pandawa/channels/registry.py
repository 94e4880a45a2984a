"""Which provider sends: the one the settings name (WHATSAPP_PROVIDER)."""

from __future__ import annotations

from pandawa.channels.providers import Provider
from pandawa.channels.simulator import SimulatorProvider
from pandawa.channels.twilio import TwilioProvider
from pandawa.core.config import Settings, current_settings


def get_provider(settings: Settings | None = None) -> Provider:
    """The provider the settings name (WHATSAPP_PROVIDER)."""
    settings = settings or current_settings()
    if settings.whatsapp_provider == "twilio":
        return TwilioProvider(settings)
    return SimulatorProvider()
